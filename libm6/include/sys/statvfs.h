/*
 * <sys/statvfs.h> for m6 components (picolibc has none): the POSIX statvfs() over the
 * VFS's statfs method (libm6's file API, m6::files). No fstatvfs(): the protocol's statfs
 * takes a path, and a descriptor does not remember one.
 */
#ifndef M6_SYS_STATVFS_H
#define M6_SYS_STATVFS_H

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ST_RDONLY 0x1ul
#define ST_NOSUID 0x2ul

struct statvfs {
	unsigned long f_bsize;  /* the file system's block size */
	unsigned long f_frsize; /* the unit of f_blocks, f_bfree, f_bavail (= f_bsize) */
	fsblkcnt_t f_blocks;
	fsblkcnt_t f_bfree;
	fsblkcnt_t f_bavail; /* = f_bfree: no blocks are reserved */
	fsfilcnt_t f_files;  /* 0: no fixed limit */
	fsfilcnt_t f_ffree;
	fsfilcnt_t f_favail;
	unsigned long f_fsid;
	unsigned long f_flag; /* ST_RDONLY */
	unsigned long f_namemax;
};

int statvfs(const char *path, struct statvfs *buf);

#ifdef __cplusplus
}
#endif

#endif
