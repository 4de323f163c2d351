/* help lockalias: crash's help array (name, purpose, synopsis, text). */
#ifndef LOCKALIAS_HELP_TEXT_H
#define LOCKALIAS_HELP_TEXT_H
extern char *help_lockalias[];
#endif
