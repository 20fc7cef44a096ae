# Fuzzing builds (included by the Makefile). Outputs in $(BUILD)/fuzz/ and $(BUILD)/diff/.
#
#   make fuzz       xtml_fuzz (libFuzzer byte mutations) and xtml_fuzz_gen (structure-aware
#                   mutator, tools/xtml_fuzz_mutator.c): the same harness, ASan + UBSan;
#                   only the core is instrumented for coverage, so both report core edges
#   make fuzz-diff  xtml_diff_fuzz: the differential checks (tools/xtml_diff.c) under
#                   libFuzzer with the structure-aware mutator, no sanitizers, -O2
#   make diff       xtml_diff: the same checks as a standalone program (gcc -O2)
#   make diff-asan  the standalone program with ASan + UBSan on both cores (clang)
#   make diff-rv32imc   the standalone program for rv32imc (port/rv32-linux), run with
#                   qemu-riscv32 build/diff-rv32imc/xtml_diff -n COUNT
#
# The differential checks link the core twice: as built, and with
# -DXTML_REFERENCE_KERNELS (the plain reference kernels) with every xtml_*
# symbol renamed ref_xtml_* by objcopy.

GEN_SRC := tools/xtml_gen.c
GEN_HDR := tools/xtml_gen.h
FUZZ_FLAGS := $(COMMON) -O1 -g -fno-omit-frame-pointer
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_COV := -fsanitize=fuzzer-no-link

# ---- the sanitized harnesses ----
$(BUILD)/fuzz/core/%.o: src/%.c $(HDR)
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) $(FUZZ_SAN) $(FUZZ_COV) -c $< -o $@

$(BUILD)/fuzz/tools/%.o: tools/%.c $(HDR) $(GEN_HDR)
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) $(FUZZ_SAN) -c $< -o $@

FUZZ_CORE := $(patsubst src/%.c,$(BUILD)/fuzz/core/%.o,$(SRC))

$(BUILD)/fuzz/xtml_fuzz: $(BUILD)/fuzz/tools/xtml_fuzz.o $(BUILD)/fuzz/tools/xtml_gen.o $(FUZZ_CORE)
	clang -fsanitize=fuzzer,address,undefined -o $@ $^ -lm

$(BUILD)/fuzz/xtml_fuzz_gen: $(BUILD)/fuzz/tools/xtml_fuzz.o $(BUILD)/fuzz/tools/xtml_fuzz_mutator.o \
                             $(BUILD)/fuzz/tools/xtml_gen.o $(FUZZ_CORE)
	clang -fsanitize=fuzzer,address,undefined -o $@ $^ -lm

fuzz: $(BUILD)/fuzz/xtml_fuzz $(BUILD)/fuzz/xtml_fuzz_gen
.PHONY: fuzz

# ---- the differential checks ----
# $(1) variant dir, $(2) compiler, $(3) flags, $(4) binutils prefix, $(5) ld flags
define diff_build
$(BUILD)/$(1)/opt/%.o: src/%.c $(HDR)
	@mkdir -p $$(dir $$@)
	$(2) $(COMMON) $(3) -c $$< -o $$@

$(BUILD)/$(1)/ref/%.o: src/%.c $(HDR)
	@mkdir -p $$(dir $$@)
	$(2) $(COMMON) $(3) -DXTML_REFERENCE_KERNELS -c $$< -o $$@

$(BUILD)/$(1)/tools/%.o: tools/%.c $(HDR) $(GEN_HDR)
	@mkdir -p $$(dir $$@)
	$(2) $(COMMON) $(3) -c $$< -o $$@

# The reference core as one object whose xtml_* symbols are ref_xtml_*.
$(BUILD)/$(1)/ref_core.o: $(patsubst src/%.c,$(BUILD)/$(1)/ref/%.o,$(SRC))
	$(4)ld $(5) -r -o $$@.tmp $$^
	$(4)nm --defined-only -g $$@.tmp | awk 'NF == 3 && $$$$3 ~ /^xtml_/ { print $$$$3, "ref_" $$$$3 }' >$$@.syms
	$(4)objcopy --redefine-syms=$$@.syms $$@.tmp $$@
	@rm -f $$@.tmp
endef

$(eval $(call diff_build,diff,gcc,-O2 -g,))
$(eval $(call diff_build,diff-asan,clang,$(FUZZ_FLAGS) $(FUZZ_SAN),))
$(eval $(call diff_build,fuzz-diff,clang,-O2 -g $(FUZZ_COV),))
# rv32imc under qemu-riscv32 (port/rv32-linux), with smaller static buffers.
DIFF_RV32_FLAGS := $(MCU_FLAGS_rv32imc) -O2 -g -DXTML_DIFF_ARENA=0x100000 -DXTML_DIFF_VALUES=0x100000 \
                   -DXTML_DIFF_MODEL=0x40000
$(eval $(call diff_build,diff-rv32imc,$(MCU_CC_rv32imc),$(DIFF_RV32_FLAGS),riscv64-unknown-elf-,-m elf32lriscv))

DIFF_TOOLS = $(BUILD)/$(1)/tools/xtml_gen.o $(BUILD)/$(1)/ref_core.o \
             $(patsubst src/%.c,$(BUILD)/$(1)/opt/%.o,$(SRC))

$(BUILD)/diff/xtml_diff: $(BUILD)/diff/tools/xtml_diff.o $(call DIFF_TOOLS,diff)
	gcc -o $@ $^ -lm

$(BUILD)/diff-asan/xtml_diff: $(BUILD)/diff-asan/tools/xtml_diff.o $(call DIFF_TOOLS,diff-asan)
	clang $(FUZZ_SAN) -o $@ $^ -lm

$(BUILD)/diff-rv32imc/xtml_diff: $(BUILD)/diff-rv32imc/tools/xtml_diff.o $(call DIFF_TOOLS,diff-rv32imc) \
                                 $(RV32_PORT_OBJ_O2) $(RV32_PORT)/linux.ld
	$(MCU_CC_rv32imc) $(MCU_FLAGS_rv32imc) $(RV32_LDFLAGS) -o $@ $(filter %.o,$^) -lm

$(BUILD)/fuzz-diff/tools/xtml_diff_fuzzer.o: tools/xtml_diff.c $(HDR) $(GEN_HDR)
	@mkdir -p $(dir $@)
	clang $(COMMON) -O2 -g -DXTML_DIFF_FUZZER -c $< -o $@

$(BUILD)/fuzz/xtml_diff_fuzz: $(BUILD)/fuzz-diff/tools/xtml_diff_fuzzer.o \
                              $(BUILD)/fuzz-diff/tools/xtml_fuzz_mutator.o $(call DIFF_TOOLS,fuzz-diff)
	@mkdir -p $(dir $@)
	clang -fsanitize=fuzzer -o $@ $^ -lm

diff: $(BUILD)/diff/xtml_diff
diff-asan: $(BUILD)/diff-asan/xtml_diff
diff-rv32imc: $(BUILD)/diff-rv32imc/xtml_diff
fuzz-diff: $(BUILD)/fuzz/xtml_diff_fuzz
.PHONY: diff diff-asan diff-rv32imc fuzz-diff

# The ava suite runs the standalone checks (test/fuzz-diff.test.ts).
test-programs: diff $(if $(HAVE_RV32),diff-rv32imc)
