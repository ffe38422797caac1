/*
 * dup2 redirects stdout to a file on /tmp, printf writes into it, stdout comes back, and
 * the file is read back to the console (a shell's "prog > file; cat file").
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	int fd = open("/tmp/out.txt", O_CREAT | O_TRUNC | O_WRONLY, 0644);
	int saved = dup(1);
	if (fd < 0 || saved < 0 || dup2(fd, 1) != 1)
		return 1;
	close(fd);
	printf("line one into the file\n");
	printf("line two into the file\n");
	fflush(stdout);
	if (dup2(saved, 1) != 1)
		return 2;
	close(saved);
	printf("redirect: stdout is back\n");
	fflush(stdout);
	char buf[256];
	fd = open("/tmp/out.txt", O_RDONLY);
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		write(1, buf, (size_t)n);
	close(fd);
	return unlink("/tmp/out.txt") == 0 ? 0 : 3;
}
