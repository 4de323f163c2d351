/* Glue between crash and lockalias: the command table, help text, and the
 * C API of crash_api.h. Keep it thin: logic belongs in src/. */
#include "defs.h"
#include "crash_api.h"
#include "help_text.h"

int la_read_kv(uint64_t addr, void *buf, long len)
{
	return readmem(addr, KVADDR, buf, len, "lockalias", RETURN_ON_ERROR | QUIET) != 0;
}

int la_read_phys(uint64_t addr, void *buf, long len)
{
	return readmem(addr, PHYSADDR, buf, len, "lockalias", RETURN_ON_ERROR | QUIET) != 0;
}

int la_memory_node_spans(uint64_t *starts, uint64_t *ends, int max)
{
	int i, n = 0;

	for (i = 0; i < vt->numnodes && n < max; i++) {
		struct node_table *nt = &vt->node_table[i];
		starts[n] = nt->start_paddr;
		ends[n] = nt->start_paddr + (uint64_t)nt->size * PAGESIZE();
		n++;
	}
	return n;
}

long la_page_size(void)
{
	return PAGESIZE();
}

int la_kvtop(uint64_t kvaddr, uint64_t *phys)
{
	physaddr_t p;

	if (!kvtop(NULL, kvaddr, &p, 0))
		return 0;
	*phys = p;
	return 1;
}

uint64_t la_ptov(uint64_t phys)
{
	return PTOV(phys);
}

int la_phys_to_page(uint64_t phys, uint64_t *page)
{
	ulong p;

	if (!phys_to_page(phys, &p))
		return 0;
	*page = p;
	return 1;
}

int la_symbol_address(const char *name, uint64_t *addr)
{
	struct syment *sp = symbol_search((char *)name);

	if (!sp)
		return 0;
	*addr = sp->value;
	return 1;
}

int la_symbol_at(uint64_t addr, char *buf, long len)
{
	ulong offset = 0;
	struct syment *sp = value_search(addr, &offset);

	if (!sp || !len)
		return 0;
	if (offset)
		snprintf(buf, len, "%s+0x%lx", sp->name, offset);
	else
		snprintf(buf, len, "%s", sp->name);
	return 1;
}

long la_type_size(const char *type)
{
	return STRUCT_SIZE((char *)type);
}

long la_member_offset(const char *type, const char *member)
{
	return MEMBER_OFFSET((char *)type, (char *)member);
}

long la_member_size(const char *type, const char *member)
{
	return MEMBER_SIZE((char *)type, (char *)member);
}

int la_enum_value(const char *name, long *value)
{
	return enumerator_value((char *)name, value) ? 1 : 0;
}

int la_namelist(char *buf, long len)
{
	if (!pc->namelist || (long)strlen(pc->namelist) >= len)
		return 0;
	snprintf(buf, len, "%s", pc->namelist);
	return 1;
}

long la_array_length(const char *symbol)
{
	int n;

	if (!symbol_exists((char *)symbol))
		return -1;
	n = get_array_length((char *)symbol, NULL, 0);
	return n > 0 ? n : -1;
}

char *la_ptype_offsets(const char *type)
{
	char cmd[256], *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	if (!out)
		return NULL;
	snprintf(cmd, sizeof(cmd), "ptype /o struct %s", type);
	if (!gdb_pass_through(cmd, out, GNU_RETURN_ON_ERROR)) {
		fclose(out);
		free(buf);
		return NULL;
	}
	fclose(out);
	return buf;
}

/* Runs fn(arg) with crash's fp going to its tmpfile; returns what it
 * printed (malloc'ed) or NULL. */
static char *capture_output(int (*fn)(char *), char *arg)
{
	char *buf = NULL;
	long size;
	int ok;

	open_tmpfile();
	ok = fn(arg);
	fflush(pc->tmpfile);
	size = ftell(pc->tmpfile);
	rewind(pc->tmpfile);
	if (ok && size >= 0 && (buf = malloc(size + 1))) {
		size = fread(buf, 1, size, pc->tmpfile);
		buf[size] = '\0';
	}
	close_tmpfile();
	return buf;
}

char *la_enumerators(const char *enum_type)
{
	char name[256];

	/* dump_enumerator_list() checks the type is an enum before asking gdb
	 * to print it, so gdb does not fail (and longjmp) on a wrong name. */
	snprintf(name, sizeof(name), "%s", enum_type);
	return capture_output(dump_enumerator_list, name);
}

int la_elf_dumpfile(char *buf, long len)
{
	if (!pc->dumpfile || !(pc->flags & (KDUMP | NETDUMP)) || (pc->flags & REM_NETDUMP))
		return 0;
	snprintf(buf, len, "%s", pc->dumpfile);
	return 1;
}

int la_kdump_dumpfile(char *buf, long len)
{
	if (!pc->dumpfile || !DISKDUMP_DUMPFILE() || (pc->flags & REM_NETDUMP))
		return 0;
	snprintf(buf, len, "%s", pc->dumpfile);
	return 1;
}

static int print_split_dumpfiles(char *unused)
{
	(void)unused;
	show_split_dumpfiles();
	return 1;
}

char *la_kdump_split_files(void)
{
	if (!pc->dumpfile || !DISKDUMP_DUMPFILE() || (pc->flags & REM_NETDUMP) ||
	    !dumpfile_is_split())
		return NULL;
	/* diskdump.c keeps the files in a static list; the DUMPFILES lines of
	 * crash's banner (show_split_dumpfiles()) are the one way out. */
	return capture_output(print_split_dumpfiles, NULL);
}

/* Ctrl-C while SIGINT is blocked (see cmd_lockalias) stays pending; take
 * it here so the scan stops and reports what it has. */
int la_interrupted(void)
{
	sigset_t pending, intr;
	int sig;

	if (received_SIGINT())
		return 1;
	if (sigpending(&pending) != 0 || !sigismember(&pending, SIGINT))
		return 0;
	sigemptyset(&intr);
	sigaddset(&intr, SIGINT);
	sigwait(&intr, &sig);
	return 1;
}

int la_live(void)
{
	return ACTIVE() ? 1 : 0;
}

int la_debug_level(void)
{
	return (int)pc->debug;
}

void la_debug(const char *text)
{
	fprintf(fp, "lockalias: %s\n", text);
}

void la_print(const char *text)
{
	fputs(text, fp);
}

void la_error(const char *text)
{
	error(INFO, "%s\n", text);
}

static int print_log(char *unused)
{
	(void)unused;
	dump_log(0);
	return 1;
}

/* The kernel log as `log` prints it. Captured here, before any C++ frame
 * exists, because dump_log() may longjmp on a damaged log. Returns
 * malloc'ed text or NULL. */
static char *capture_log(void)
{
	return capture_output(print_log, NULL);
}

/* crash's SIGINT and SIGPIPE handlers longjmp to its command loop. Out of
 * C++ frames that would skip destructors, and inside malloc it would leave
 * the heap locked: both stay blocked while lockalias runs. The scan polls
 * for a pending Ctrl-C (la_interrupted); one it did not take, or a SIGPIPE
 * from `lockalias | head`, is delivered when the mask is restored, back in
 * C, and crash handles it as usual.
 *
 * The core parses the line once (this file never reads args): a usage
 * error prints why, then crash's own usage line, as crash's commands do;
 * cmd_usage() longjmps back to crash's command loop, so it comes last. */
static void cmd_lockalias(void)
{
	struct la_request req;
	enum la_parse_outcome outcome;
	char *log = NULL;
	sigset_t block, saved;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGPIPE);
	sigprocmask(SIG_BLOCK, &block, &saved);
	outcome = lockalias_parse(argcnt, args, &req);
	sigprocmask(SIG_SETMASK, &saved, NULL);
	/* The log is captured in C with crash's signals as usual: a damaged
	 * log may make dump_log() longjmp back to crash's command loop (and
	 * Ctrl-C may), which then only leaks req.line, a few hundred bytes. */
	if (outcome == LA_PARSE_OK && req.needs_log)
		log = capture_log();
	sigprocmask(SIG_BLOCK, &block, &saved);
	if (outcome == LA_PARSE_OK)
		lockalias_run(req.line, log);
	else if (outcome == LA_PARSE_USAGE_ERROR)
		error(INFO, "%s\n", req.message);
	lockalias_free(req.line);
	free(log);
	sigprocmask(SIG_SETMASK, &saved, NULL);
	if (outcome == LA_PARSE_USAGE_ERROR)
		cmd_usage(pc->curcmd, SYNOPSIS);
}

static struct command_table_entry command_table[] = {
	{ "lockalias", cmd_lockalias, help_lockalias, 0 },
	{ NULL },
};

static void __attribute__((constructor)) lockalias_init(void)
{
	register_extension(command_table);
}

static void __attribute__((destructor)) lockalias_fini(void)
{
}
