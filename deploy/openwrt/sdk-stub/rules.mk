# Just enough of OpenWrt's rules.mk for deploy/openwrt/hedge/Makefile outside the SDK (test-init,
# build-ipk). The real SDK replaces all of this.
INCLUDE_DIR := $(TOPDIR)/include
BUILD_DIR ?= $(STAGE).build
