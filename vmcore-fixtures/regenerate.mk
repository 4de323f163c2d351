# The recipe that rebuilds kernels, dumps and artifacts/ (included by
# Makefile for `all`, `artifacts`, `kernels`, `dumps`; never for `unpack`).

## kernels (tinyconfig + config/base.fragment + config/VARIANT.fragment,
## + config/distro.fragment for every kernel but 6.1)
$(BUILD)/%/vmlinux: $(BUILD)/%/bzImage ;
# kernel_rule NAME VARIANT KVER
# (the scripts are order-only: editing them must not force a 5-minute rebuild)
define kernel_rule
$(BUILD)/$(1)/bzImage: config/base.fragment config/$(2).fragment $(if $(filter-out 6.1,$(3)),config/distro.fragment) \
                       | $(S)/build-kernel.sh $(S)/linux-source.sh
	$(SUBMAKE) $(S)/build-kernel.sh $(2) $(BUILD) $(3)
endef
$(foreach v,lockdep nolockdep lockstat,$(eval $(call kernel_rule,$(v),$(v),6.1)))
ifneq ($(KVER),6.1)
$(foreach v,$(VARIANTS),$(eval $(call kernel_rule,$(v)-$(KVER),$(v),$(KVER))))
endif

## scenario module (lockdep kernels: lockdep, lockstat), built outside the source tree
$(BUILD)/%/module/lockalias_scenarios.ko: scenarios/lockalias_scenarios.c scenarios/Kbuild $(BUILD)/%/bzImage
	mkdir -p $(@D)
	cp scenarios/Kbuild scenarios/lockalias_scenarios.c $(@D)/
	$(SUBMAKE) make -C $(BUILD)/$*/obj M=$(@D) KBUILD_MODPOST_WARN=1 modules

## initramfs (the explicit nolockdep rule wins over the pattern)
$(BUILD)/nolockdep/initramfs.cpio.gz: $(S)/mkinitramfs.sh
	$(S)/mkinitramfs.sh $@ nolockdep
$(BUILD)/%/initramfs.cpio.gz: $(S)/mkinitramfs.sh $(BUILD)/%/module/lockalias_scenarios.ko
	$(S)/mkinitramfs.sh $@ $* $(BUILD)/$*/module/lockalias_scenarios.ko

## boot under QEMU (TCG) and dump from the QMP monitor
$(BUILD)/%/capture/vmcore.elf: $(BUILD)/%/bzImage $(BUILD)/%/initramfs.cpio.gz $(S)/capture.py
	$(PYTHON) $(S)/capture.py --kernel $(BUILD)/$*/bzImage --initrd $(BUILD)/$*/initramfs.cpio.gz \
	    --outdir $(@D) --variant $* --kdump --marker 'lockalias-gt: done' --timeout $(CAPTURE_TIMEOUT)
$(BUILD)/nolockdep/capture/vmcore.elf: $(BUILD)/nolockdep/bzImage $(BUILD)/nolockdep/initramfs.cpio.gz $(S)/capture.py
	$(PYTHON) $(S)/capture.py --kernel $(BUILD)/nolockdep/bzImage --initrd $(BUILD)/nolockdep/initramfs.cpio.gz \
	    --outdir $(@D) --variant nolockdep --marker 'lockalias-init: done' --timeout $(CAPTURE_TIMEOUT)

## committed artifacts
$(ART)/%/vmlinux.xz: $(BUILD)/%/vmlinux
	mkdir -p $(@D)
	$(XZ) -c $< > $@.tmp && mv $@.tmp $@
# The no-lockdep kernel only has to open and say "no lockdep": its vmlinux
# drops .debug_loc (variable location lists, which crash's type and symbol
# look-ups never read), 2 MB that keep all fixtures under 80 MB.
$(ART)/nolockdep/vmlinux.xz: $(BUILD)/nolockdep/vmlinux
	mkdir -p $(@D)
	objcopy --remove-section=.debug_loc $< $<.small
	$(XZ) -c $<.small > $@.tmp && mv $@.tmp $@
	rm -f $<.small
$(ART)/%/vmcore.elf.xz: $(BUILD)/%/capture/vmcore.elf
	mkdir -p $(@D)
	$(XZ) -c $< > $@.tmp && mv $@.tmp $@
$(ART)/%/lockalias_scenarios.ko.xz: $(BUILD)/%/module/lockalias_scenarios.ko
	mkdir -p $(@D)
	$(XZ) -c $< > $@.tmp && mv $@.tmp $@
# (console.log is written before the dumps, so depend on the dump)
$(ART)/%/console.log: $(BUILD)/%/capture/vmcore.elf
	mkdir -p $(@D)
	cp $(BUILD)/$*/capture/console.log $@
$(ART)/%/expected.json: $(ART)/%/console.log $(S)/parse_gt.py
	$(PYTHON) $(S)/parse_gt.py $< --variant $* > $@.tmp && mv $@.tmp $@
# The options crash needs for this kernel's dump (one line, may be empty):
# the union of what crash 8.0.6 and 9.0.2 need (README.md, "crash per kernel").
# 7.2: module_num_gpl_syms is gone (--no_modules, both), and 8.0.6 also
# stops at kmem_cache_s_num (--no_kmem_cache).
CRASH_ARGS.5.10 :=
CRASH_ARGS.6.12 :=
CRASH_ARGS.7.2  := --no_kmem_cache --no_modules
# (rewritten only when the line changes)
$(ART)/%/crash-args: FORCE
	@mkdir -p $(@D)
	@echo '$(CRASH_ARGS.$(KVER))' | cmp -s - $@ || echo '$(CRASH_ARGS.$(KVER))' > $@
.PHONY: FORCE
FORCE:


## large: a 4 GiB guest with FILL_MB MiB of slab locks, for `make bench`
## (never committed): full ELF dump and a makedumpfile -d 31 copy.
## scripts/bench-scaling.sh uses the same rules for its guests of every size:
## LARGE (the output directory, default $(BUILD)/large), LARGE_MEM and
## BALLAST_MB (MiB of kept, non-zero pages after the locks; default 0), and
## builds `large-capture` only (its kdump copies are its own).
LARGE_MEM ?= 4G
FILL_MB ?= 64
BALLAST_MB ?= 0
LARGE ?= $(BUILD)/large
.PHONY: large-capture
large: $(LARGE)/capture/vmcore.elf $(LARGE)/vmcore-d31.kdump
large-capture: $(LARGE)/capture/vmcore.elf
$(LARGE)/fill/fill_locks.ko: large/fill_locks.c large/Kbuild $(BUILD)/lockdep/bzImage
	mkdir -p $(@D)
	cp large/Kbuild large/fill_locks.c $(@D)/
	$(SUBMAKE) make -C $(BUILD)/lockdep/obj M=$(@D) KBUILD_MODPOST_WARN=1 modules
# (a change of FILL_MB, BALLAST_MB or LARGE_MEM makes a new initramfs and capture)
$(LARGE)/initramfs.params: FORCE
	@mkdir -p $(@D)
	@echo 'mb=$(FILL_MB) ballast_mb=$(BALLAST_MB) mem=$(LARGE_MEM)' | cmp -s - $@ || echo 'mb=$(FILL_MB) ballast_mb=$(BALLAST_MB) mem=$(LARGE_MEM)' > $@
$(LARGE)/initramfs.cpio.gz: large/mkinitramfs-large.sh $(BUILD)/lockdep/module/lockalias_scenarios.ko $(LARGE)/fill/fill_locks.ko \
                            $(LARGE)/initramfs.params
	large/mkinitramfs-large.sh $@ $(BUILD)/lockdep/module/lockalias_scenarios.ko $(LARGE)/fill/fill_locks.ko \
	    $(FILL_MB) $(BALLAST_MB)
$(LARGE)/capture/vmcore.elf: $(LARGE)/initramfs.cpio.gz $(BUILD)/lockdep/bzImage
	$(PYTHON) $(S)/capture.py --kernel $(BUILD)/lockdep/bzImage --initrd $< --outdir $(@D) \
	    --variant large --memory $(LARGE_MEM) --marker 'lockalias-gt: done' --timeout $(CAPTURE_TIMEOUT)
$(LARGE)/vmcore-d31.kdump: $(LARGE)/capture/vmcore.elf $(BUILD)/lockdep/vmlinux
	$(PYTHON) $(S)/elf-phdr-fixup.py $< $@.fixed.elf
	rm -f $@
	makedumpfile -c -d 31 -x $(BUILD)/lockdep/vmlinux $@.fixed.elf $@
	rm -f $@.fixed.elf
