/*
 * qemu_plugin_api.h - the part of QEMU's TCG plugin interface (API version
 * 1, as loaded by `qemu-<arch> -plugin file.so,key=value,...` in QEMU 7.2)
 * that our instruction counter uses. Debian ships QEMU without the plugin
 * header; these declarations are written from the interface's documented
 * names, types and values, for a plugin built with the host compiler.
 *
 * Contract with QEMU: the plugin exports `qemu_plugin_version` (the API
 * version it was written for) and `qemu_plugin_install`, which QEMU calls
 * once with the plugin's arguments ("key=value" strings) and which returns 0
 * to load, non-zero to refuse. Everything else is a function QEMU exports
 * and the plugin calls. Translation blocks and instructions are opaque
 * handles, valid only inside the translation callback that received them.
 */
#ifndef XTML_QEMU_PLUGIN_API_H
#define XTML_QEMU_PLUGIN_API_H

#include <stddef.h>
#include <stdint.h>

#define XTML_QEMU_PLUGIN_API_VERSION 1
#define XTML_QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))

typedef uint64_t qemu_plugin_id_t;
/* Information about the emulator; not read by our plugin. */
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;

/* Whether an execution callback may read or write guest registers. */
enum qemu_plugin_cb_flags {
    QEMU_PLUGIN_CB_NO_REGS = 0,
    QEMU_PLUGIN_CB_R_REGS = 1,
    QEMU_PLUGIN_CB_RW_REGS = 2
};

/* Operations QEMU can inline into translated code. */
enum qemu_plugin_op {
    QEMU_PLUGIN_INLINE_ADD_U64 = 0
};

typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);

/* Exported by the plugin. */
extern XTML_QEMU_PLUGIN_EXPORT int qemu_plugin_version;
XTML_QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv);

/* Exported by QEMU. */
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op, void *ptr,
                                              uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t index);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);

#endif /* XTML_QEMU_PLUGIN_API_H */
