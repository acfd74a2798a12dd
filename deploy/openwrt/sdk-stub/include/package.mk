# Just enough of OpenWrt's include/package.mk to run a package Makefile's Build/* and
# Package/<name>/install recipes: `make stage STAGE=DIR` installs the package's files under DIR,
# its conffiles list into DIR.conffiles and its control fields into DIR.control.
PKG_BUILD_DIR ?= $(BUILD_DIR)/$(PKG_NAME)-$(PKG_VERSION)
INSTALL_DIR := install -d -m0755
INSTALL_BIN := install -m0755
INSTALL_DATA := install -m0644
INSTALL_CONF := install -m0600
CP := cp -fpR

define BuildPackage
$(eval $(Package/$(1)))
.PHONY: stage
stage:
	rm -rf $(PKG_BUILD_DIR) $(STAGE) $(STAGE).conffiles $(STAGE).control
	$$(Build/Prepare)
	$$(Build/Configure)
	$$(Build/Compile)
	mkdir -p $(STAGE)
	$$(call Package/$(1)/install,$(STAGE))
	printf '%s\n' $$(strip $$(Package/$(1)/conffiles)) > $(STAGE).conffiles
	printf 'Package: %s\nVersion: %s\nDepends: %s\nSection: %s\nMaintainer: %s\nLicense: %s\nDescription: %s\n' \
	    '$(1)' '$(PKG_VERSION)-$(PKG_RELEASE)' '$(DEPENDS)' '$(SECTION)' '$(PKG_MAINTAINER)' '$(PKG_LICENSE)' '$(TITLE)' \
	    > $(STAGE).control
endef
