/* watchdog.c - a guest that stops: it says so (its last line without a newline), then spins
 * with interrupts off (cli; jmp .), making no exit at all; vfvm's --watchdog must dump its
 * state and exit with status 4. */
#include "rt.h"

const char guest_name[] = "watchdog";

void guest_main(uint32_t magic, uint32_t info)
{
	(void)magic;
	(void)info;
	printf("watchdog: spinning with interrupts off\n");
	/* No newline: the dump must write it out before itself (issue 15: a stopped guest's last
	 * words were held back until vfvm ended), and say so. */
	printf("watchdog: last words");
	__asm__ volatile("cli\n1: jmp 1b" ::: "memory");
}
