/* testhooks.c - build/vfvm-testhooks only: VFVM_TEST_FORBIDDEN=ROLE makes the thread of that
 * role (main, vcpu, io, console) call socket(2) once its filter is on, as a bug in vfvm would.
 * The lab's sandbox scenario checks that vfvm then dies naming the call. */
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "core/sandbox.h"

void sandbox_test_hook(enum sandbox_role role)
{
	const char *want = getenv("VFVM_TEST_FORBIDDEN");

	if (want && !strcmp(want, sandbox_role_name(role)))
		syscall(SYS_socket, 2, 1, 0);
}
