/// deploy/azure/reflector-cloud-init.yaml, embedded: the template's reflector VM takes it as custom
/// data with its @...@ placeholders replaced by template parameters. Copied from that file (a test
/// holds the two equal): regenerate this literal whenever the file changes.
public enum ReflectorCloudInit {
    public static let text = #"""
#cloud-config
# hedge-reflect on a stock Debian 12 or Ubuntu 22.04+ VM inside the Azure VNet: the reflector the
# routers' `probe reflect` / `measure reflect` run against. Pass it as the VM's custom data
# (az vm create ... --custom-data reflector-cloud-init.yaml) after replacing the three placeholders:
#   @HEDGE_REFLECT_DEB_URL@     where the VM can fetch hedge-reflect_<version>-1_<arch>.deb
#                               (deploy/debian/build-deb --package hedge-reflect; amd64 or arm64, as the VM size)
#   @HEDGE_REFLECT_DEB_SHA256@  that file's sha256sum: the package is installed only if it matches
#   @REFLECT_KEY@               the key in the routers' key-file (16 octets at least; openssl rand -hex 32)
# The package comes from a URL rather than inside this file: Azure takes 64 KB of custom data, which
# the binary in base64 would not fit, and a .deb brings the unit, the user and a clean removal.
# The key is in this file, so it is also in /var/lib/cloud (root only) and in the VM's custom data:
# treat the file as the secret it holds.
# Firewall: nftables (Debian's default; on Ubuntu it is used instead of ufw, which stays off). In:
# ssh, hedge-reflect's UDP port, ICMP (IPv6 neighbour discovery, path MTU) and DHCP replies; out:
# anything (the Azure agent, apt). Narrow UDP 18533 to the routers' addresses where they are known,
# and keep the NSG in front as well.

package_update: true
packages:
  - curl
  - nftables

write_files:
  # root's until the package has made its user (runcmd below hands it over): never readable by others.
  - path: /etc/hedge/reflect.key
    owner: root:root
    permissions: '0600'
    content: |
      @REFLECT_KEY@
  - path: /etc/nftables.conf
    owner: root:root
    permissions: '0644'
    content: |
      #!/usr/sbin/nft -f
      # Written by cloud-init for hedge-reflect: ssh and the reflector's UDP port in, nothing else.
      flush ruleset
      table inet filter {
          chain input {
              type filter hook input priority filter; policy drop;
              ct state established,related accept
              ct state invalid drop
              iif lo accept
              meta l4proto { icmp, ipv6-icmp } accept
              udp sport 67 udp dport 68 accept       # DHCPv4 replies (Azure's addressing)
              udp sport 547 udp dport 546 accept     # DHCPv6 replies
              tcp dport 22 accept                    # ssh
              udp dport 18533 accept                 # hedge-reflect (e.g. ip saddr { 192.0.2.1, 192.0.2.2 } udp dport 18533 accept)
          }
          chain forward {
              type filter hook forward priority filter; policy drop;
          }
      }

runcmd:
  - |
    set -eu
    url='@HEDGE_REFLECT_DEB_URL@'
    sum='@HEDGE_REFLECT_DEB_SHA256@'
    # (the checks name the placeholders only in part, so that filling them in leaves the checks be)
    case "$url $sum" in *'@HEDGE_REFLECT_DEB_'*) echo "hedge-reflect: placeholders of reflector-cloud-init.yaml not replaced" >&2; exit 1 ;; esac
    ! grep -q '^@REFLECT_KEY' /etc/hedge/reflect.key || { echo "hedge-reflect: the key placeholder was not replaced" >&2; exit 1; }
    nft -c -f /etc/nftables.conf
    systemctl enable nftables.service
    systemctl restart nftables.service
    deb=$(mktemp --suffix=.deb)
    curl -fsSL --retry 5 -o "$deb" "$url"
    echo "$sum  $deb" | sha256sum -c -
    apt-get install -y --no-install-recommends "$deb"
    rm -f "$deb"
    chown hedge-reflect:hedge-reflect /etc/hedge/reflect.key
    systemctl enable --now hedge-reflect.service
    systemctl --no-pager status hedge-reflect.service

"""#

    /// The placeholders the file marks with @...@, each filled from a parameter of the template.
    public static let debURLPlaceholder = "@HEDGE_REFLECT_DEB_URL@"
    public static let debSHA256Placeholder = "@HEDGE_REFLECT_DEB_SHA256@"
    public static let keyPlaceholder = "@REFLECT_KEY@"
}
