/* watchdog_main.c - a busy guest under a vfvm whose main thread hangs holding vm->lock
 * (--test-fault main-stall): the guest's next COM1 write waits for that lock forever, and
 * --watchdog's own thread must report the main thread stuck, name the lock's holder and end
 * vfvm with status 4. */
#include "rt.h"

const char guest_name[] = "watchdog_main";

void guest_main(uint32_t magic, uint32_t info)
{
	(void)magic;
	(void)info;
	for (unsigned i = 0;; i++)
		printf("watchdog_main: line %u\n", i);
}
