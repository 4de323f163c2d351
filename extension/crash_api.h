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
int la_memory_node_spans(uint64_t *starts, uint64_t *ends, int max);
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
/* When that kdump is split (makedumpfile --split, every file on crash's
 * command line), its files as crash's show_split_dumpfiles() prints them:
 * one a line, the lines after the first indented, each name perhaps
 * followed by " [PARTIAL DUMP]", " [INCOMPLETE]", " [EXCLUDED VMEMMAP]"
 * (malloc'ed); NULL otherwise. A flattened kdump (makedumpfile -F) is
 * one file: crash reads it in place (makedumpfile.c), pc->dumpfile names it. */
char *la_kdump_split_files(void);

/* The kernel file crash reads symbols from (pc->namelist): 1, or 0 when it
 * does not fit in buf. */
int la_namelist(char *buf, long len);

/* crash's `set debug N` level, and a line printed only for whoever
 * debugs lockalias (to crash's output, as crash's own debug lines). */
int la_debug_level(void);
void la_debug(const char *text);

/* 1 when crash reads the running kernel (no dump file): ACTIVE(). */
int la_live(void);

int la_interrupted(void);
void la_print(const char *text);
void la_error(const char *text);

/* Implemented in C++ (entry.cpp): one `lockalias` command line, parsed
 * once by the core (src/command/command_line.h), then run.
 *
 *   lockalias_parse()   argv as crash passes it (argv[0] the command name);
 *                       fills *req. Never longjmps, never prints except
 *                       LA_PARSE_FAILED's error line.
 *   lockalias_run()     runs an LA_PARSE_OK line; log is the kernel log
 *                       text when req.needs_log asked for it, else NULL.
 *   lockalias_free()    frees req.line (NULL is fine), whatever the outcome.
 *
 * On LA_PARSE_USAGE_ERROR the caller prints req.message with error(INFO)
 * and then crash's usage line (cmd_usage(..., SYNOPSIS), which longjmps:
 * only once everything is freed and the signal mask restored). */
enum la_parse_outcome {
	LA_PARSE_OK,          /* run it */
	LA_PARSE_USAGE_ERROR, /* print message and the usage line; run nothing */
	LA_PARSE_FAILED,      /* out of memory or internal error, already reported */
};

struct la_line;  /* a parsed command line (C++, opaque) */

struct la_request {
	struct la_line *line;  /* for lockalias_run and lockalias_free */
	int needs_log;         /* -l: capture the kernel log before running */
	const char *message;   /* LA_PARSE_USAGE_ERROR: why; owned by line */
};

enum la_parse_outcome lockalias_parse(int argc, char **argv, struct la_request *req);
void lockalias_run(const struct la_line *line, const char *log);
void lockalias_free(struct la_line *line);

#ifdef __cplusplus
}
#endif
#endif
