/* The narrow C API that the C++ side uses to reach crash. Implemented in
 * crash_api.c, the only file that includes crash's defs.h (which is not
 * valid C++). All functions return 0/false on failure and never longjmp. */
#ifndef LOCKALIAS_CRASH_API_H
#define LOCKALIAS_CRASH_API_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

int la_read_kv(uint64_t addr, void *buf, long len);
int la_read_phys(uint64_t addr, void *buf, long len);
int la_ram_ranges(uint64_t *starts, uint64_t *ends, int max);
long la_page_size(void);
int la_kvtop(uint64_t kvaddr, uint64_t *phys);
uint64_t la_ptov(uint64_t phys);
int la_phys_to_page(uint64_t phys, uint64_t *page);

int la_symbol_address(const char *name, uint64_t *addr);
int la_symbol_at(uint64_t addr, char *buf, long len);
long la_type_size(const char *type);                        /* -1: none */
long la_member_offset(const char *type, const char *member); /* -1: none */
long la_member_size(const char *type, const char *member);   /* -1: none */
int la_enum_value(const char *name, long *value);
long la_array_length(const char *symbol);                    /* -1: none */

/* gdb's `ptype /o struct TYPE` text (bitfield positions); malloc'ed or NULL. */
char *la_ptype_offsets(const char *type);
/* "NAME = VALUE" lines for every enumerator of enum type, malloc'ed, or
 * NULL when there is no such enum. One debuginfo look-up for all of them. */
char *la_enumerators(const char *enum_type);

/* The dump file's path when crash reads it as an ELF core (kdump/netdump
 * ELF formats), so it can be mapped directly; 0 otherwise. */
int la_elf_dumpfile(char *buf, long len);
/* The dump file's path when crash reads it as a single compressed kdump
 * (makedumpfile's format), so its bitmap of dumped pages can be read; 0
 * otherwise. */
int la_kdump_dumpfile(char *buf, long len);

int la_interrupted(void);
void la_print(const char *text);
void la_error(const char *text);

/* Implemented in C++ (crash_target.cpp): runs one command line. log is
 * the kernel log text when the command line asked for it (-l), else NULL. */
void lockalias_run(int argc, char **argv, const char *log);

#ifdef __cplusplus
}
#endif
#endif
