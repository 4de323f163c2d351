/* Prints the layout of every crash structure member extension/crash_api.c
 * touches. scripts/run-matrix.sh compiles it against each crash's defs.h:
 * when two crashes print the same lines, a lockalias.so built against one
 * runs inside the other (the functions it calls are unchanged since 8.0.2).
 * Keep the list in step with crash_api.c. */
#include "defs.h"
#include <stddef.h>

#define MEMBER(s, m) printf("%s.%s %zu\n", #s, #m, offsetof(struct s, m))

int main(void)
{
	MEMBER(program_context, flags);
	MEMBER(program_context, dumpfile);
	MEMBER(program_context, tmpfile);
	MEMBER(program_context, namelist);
	MEMBER(vm_table, numnodes);
	MEMBER(vm_table, node_table);
	MEMBER(node_table, start_paddr);
	MEMBER(node_table, size);
	printf("node_table %zu\n", sizeof(struct node_table));
	MEMBER(command_table_entry, name);
	MEMBER(command_table_entry, func);
	MEMBER(command_table_entry, help_data);
	MEMBER(command_table_entry, flags);
	MEMBER(machdep_table, pagesize);
	MEMBER(syment, value);
	MEMBER(syment, name);
	/* constants compiled into the glue */
	printf("KDUMP %llx NETDUMP %llx DISKDUMP %llx REM_NETDUMP %llx\n",
	       (unsigned long long)KDUMP, (unsigned long long)NETDUMP,
	       (unsigned long long)DISKDUMP, (unsigned long long)REM_NETDUMP);
	printf("KVADDR %d PHYSADDR %d RETURN_ON_ERROR %x QUIET %x INFO %d\n",
	       KVADDR, PHYSADDR, RETURN_ON_ERROR, QUIET, INFO);
	return 0;
}
