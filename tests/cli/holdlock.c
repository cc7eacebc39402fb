/* holdlock.c - holds an OFD write lock on a file (as a running vfvm --disk does) for the CLI
 * suite: prints "locked" once it has it, then sleeps. Usage: holdlock FILE SECONDS */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd;

	if (argc != 3)
		return 2;
	fd = open(argv[1], O_RDWR);
	if (fd < 0 || fcntl(fd, F_OFD_SETLK, &fl) < 0) {
		perror(argv[1]);
		return 1;
	}
	printf("locked\n");
	fflush(stdout);
	sleep(atoi(argv[2]));
	return 0;
}
