// board/image builds /init in GOPATH mode from Debian's packaged sources (GO111MODULE=off,
// GOPATH=/usr/share/gocode), which ignores this file. It is here for module mode, `go build`,
// `go vet` and gopls: the same sources, resolved from the same Debian packages, offline
// (golang-github-vishvananda-netlink-dev, golang-github-vishvananda-netns-dev, golang-golang-x-sys-dev).
module hedge/board/guest

go 1.19

require (
	github.com/vishvananda/netlink v1.1.0
	github.com/vishvananda/netns v0.0.0-20211101163701-50045581ed74
	golang.org/x/sys v0.3.0
)

replace (
	github.com/vishvananda/netlink => /usr/share/gocode/src/github.com/vishvananda/netlink
	github.com/vishvananda/netns => /usr/share/gocode/src/github.com/vishvananda/netns
	golang.org/x/sys => /usr/share/gocode/src/golang.org/x/sys
)
