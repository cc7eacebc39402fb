/* exit.c - the smallest guest: one check, then exit through isa-debug-exit at once
 * (also the start-to-exit benchmark guest). */
#include "rt.h"

const char guest_name[] = "exit";

void guest_main(uint32_t magic, uint32_t info)
{
	(void)info;
	check_eq("magic", magic, MB_BOOT_MAGIC);
}
