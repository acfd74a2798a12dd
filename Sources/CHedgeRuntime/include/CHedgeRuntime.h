#ifndef HEDGE_RUNTIME_H
#define HEDGE_RUNTIME_H
// Nothing to import: this target only supplies corrected Embedded runtime entry points.
int hedge_runtime_fixes(void);
#endif
