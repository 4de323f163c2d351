# The recipe that rebuilds kernels, dumps and artifacts/ (included by
# Makefile for `all`, `artifacts`, `kernels`, `dumps`; never for `unpack`).

## kernels (tinyconfig + config/base.fragment + config/VARIANT.fragment)
$(BUILD)/%/vmlinux: $(BUILD)/%/bzImage ;
# (the script is order-only: editing it must not force a 5-minute rebuild)
$(BUILD)/%/bzImage: config/base.fragment config/%.fragment | $(S)/build-kernel.sh
	$(SUBMAKE) $(S)/build-kernel.sh $* $(BUILD)

## scenario module (lockdep kernel only), built outside the source tree
$(BUILD)/lockdep/module/lockalias_scenarios.ko: scenarios/lockalias_scenarios.c scenarios/Kbuild $(BUILD)/lockdep/bzImage
	mkdir -p $(@D)
	cp scenarios/Kbuild scenarios/lockalias_scenarios.c $(@D)/
	$(SUBMAKE) make -C $(BUILD)/lockdep/obj M=$(@D) KBUILD_MODPOST_WARN=1 modules

## initramfs
$(BUILD)/lockdep/initramfs.cpio.gz: $(S)/mkinitramfs.sh $(BUILD)/lockdep/module/lockalias_scenarios.ko
	$(S)/mkinitramfs.sh $@ lockdep $(BUILD)/lockdep/module/lockalias_scenarios.ko
$(BUILD)/nolockdep/initramfs.cpio.gz: $(S)/mkinitramfs.sh
	$(S)/mkinitramfs.sh $@ nolockdep

## boot under QEMU (TCG) and dump from the QMP monitor
$(BUILD)/lockdep/capture/vmcore.elf: $(BUILD)/lockdep/bzImage $(BUILD)/lockdep/initramfs.cpio.gz $(S)/capture.py
	$(PYTHON) $(S)/capture.py --kernel $(BUILD)/lockdep/bzImage --initrd $(BUILD)/lockdep/initramfs.cpio.gz \
	    --outdir $(@D) --variant lockdep --kdump --marker 'lockalias-gt: done' --timeout $(CAPTURE_TIMEOUT)
$(BUILD)/nolockdep/capture/vmcore.elf: $(BUILD)/nolockdep/bzImage $(BUILD)/nolockdep/initramfs.cpio.gz $(S)/capture.py
	$(PYTHON) $(S)/capture.py --kernel $(BUILD)/nolockdep/bzImage --initrd $(BUILD)/nolockdep/initramfs.cpio.gz \
	    --outdir $(@D) --variant nolockdep --marker 'lockalias-init: done' --timeout $(CAPTURE_TIMEOUT)

## filtered dump: QEMU ELF -> program-header fix-up -> makedumpfile -c -d 31
$(BUILD)/lockdep/vmcore-d31.kdump: $(BUILD)/lockdep/capture/vmcore.elf $(BUILD)/lockdep/vmlinux $(S)/elf-phdr-fixup.py
	$(PYTHON) $(S)/elf-phdr-fixup.py $< $(BUILD)/lockdep/vmcore.fixed.elf
	rm -f $@
	makedumpfile -c -d 31 -x $(BUILD)/lockdep/vmlinux $(BUILD)/lockdep/vmcore.fixed.elf $@
	rm -f $(BUILD)/lockdep/vmcore.fixed.elf

## committed artifacts
$(ART)/%/vmlinux.xz: $(BUILD)/%/vmlinux
	mkdir -p $(@D)
	$(XZ) -c $< > $@.tmp && mv $@.tmp $@
$(ART)/%/vmcore.elf.xz: $(BUILD)/%/capture/vmcore.elf
	mkdir -p $(@D)
	$(XZ) -c $< > $@.tmp && mv $@.tmp $@
$(ART)/lockdep/lockalias_scenarios.ko.xz: $(BUILD)/lockdep/module/lockalias_scenarios.ko
	mkdir -p $(@D)
	$(XZ) -c $< > $@.tmp && mv $@.tmp $@
$(ART)/lockdep/vmcore-d31.kdump: $(BUILD)/lockdep/vmcore-d31.kdump
	mkdir -p $(@D)
	cp $< $@ && chmod 644 $@
# (console.log is written before the dumps, so depend on the dump)
$(ART)/%/console.log: $(BUILD)/%/capture/vmcore.elf
	mkdir -p $(@D)
	cp $(BUILD)/$*/capture/console.log $@
$(ART)/%/expected.json: $(ART)/%/console.log $(S)/parse_gt.py
	$(PYTHON) $(S)/parse_gt.py $< --variant $* > $@.tmp && mv $@.tmp $@

