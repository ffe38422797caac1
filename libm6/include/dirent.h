/*
 * <dirent.h> for m6 components: directories of the file service (libm6's file API,
 * m6::files; docs/userspace.md, "Files"). Debian's picolibc 1.8 ships a <dirent.h> whose
 * <sys/dirent.h> is only an #error, so libm6's include directory, searched before the C
 * library's, provides this one. The functions are those of POSIX; the entry's d_ino is
 * picolibc's ino_t (16 bits in this build: the low bits of the VFS's inode number).
 */
#ifndef M6_DIRENT_H
#define M6_DIRENT_H

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* d_type values: Linux's, as the VFS reports them. */
#define DT_UNKNOWN 0
#define DT_FIFO    1
#define DT_CHR     2
#define DT_DIR     4
#define DT_BLK     6
#define DT_REG     8
#define DT_LNK     10
#define DT_SOCK    12

#define MAXNAMLEN  255

struct dirent {
	ino_t d_ino;
	off_t d_off;             /* the directory position after this entry (telldir) */
	unsigned short d_reclen; /* sizeof(struct dirent) */
	unsigned char d_type;    /* DT_* */
	char d_name[MAXNAMLEN + 1];
};

typedef struct m6_dir DIR;

DIR *opendir(const char *path);
DIR *fdopendir(int fd);
/* The next entry, "." and ".." first; NULL at the end (errno unchanged) or on an error
 * (errno set). The entry stays valid until the next readdir or closedir of `dir`. */
struct dirent *readdir(DIR *dir);
void rewinddir(DIR *dir);
long telldir(DIR *dir);
void seekdir(DIR *dir, long pos);
int closedir(DIR *dir);
int dirfd(DIR *dir);

#ifdef __cplusplus
}
#endif

#endif
