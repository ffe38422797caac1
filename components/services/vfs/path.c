/*
 * path.c: lexical path resolution (path.h). Work is bounded by the input: the length is
 * checked before anything is read, and each byte of `path` is looked at a constant number
 * of times (a `..` scans back over one component of `out`, which that component's append
 * paid for).
 */
#include "path.h"

#include <string.h>

bool vfs_path_is_normal(const char *path)
{
	size_t i = 0;

	if (path == NULL || path[0] != '/')
		return false;
	if (path[1] == '\0')
		return true;
	/* Each step is at a '/', followed by one non-empty component. */
	while (path[i] == '/') {
		size_t start = ++i;
		while (i < VFS_PATH_MAX && path[i] != '/' && path[i] != '\0')
			i++;
		if (i >= VFS_PATH_MAX)
			return false; /* no NUL within VFS_PATH_MAX bytes */
		size_t n = i - start;
		if (n == 0 || n > VFS_NAME_MAX)
			return false; /* "//" or a trailing '/', or a name too long */
		if (path[start] == '.' && (n == 1 || (n == 2 && path[start + 1] == '.')))
			return false;
	}
	return true;
}

enum vfs_errno vfs_path_resolve(const char *cwd, const char *path, size_t len,
                                char out[VFS_PATH_MAX], unsigned *flags)
{
	size_t olen; /* bytes of out in use, without a NUL; out[0] is always '/' */
	size_t i = 0;
	bool dir = false;

	if (len >= VFS_PATH_MAX)
		return VFS_ENAMETOOLONG;
	if (len == 0)
		return VFS_ENOENT;
	if (memchr(path, '\0', len) != NULL)
		return VFS_EINVAL;

	if (path[0] == '/') {
		out[0] = '/';
		olen = 1;
	} else {
		if (!vfs_path_is_normal(cwd))
			return VFS_EINVAL;
		olen = strlen(cwd); /* < VFS_PATH_MAX: it is normal */
		memcpy(out, cwd, olen);
	}

	while (i < len) {
		while (i < len && path[i] == '/')
			i++;
		if (i == len) {
			dir = true; /* the path ends in '/' */
			break;
		}
		size_t start = i;
		while (i < len && path[i] != '/')
			i++;
		size_t n = i - start;
		const char *name = path + start;

		if (n > VFS_NAME_MAX)
			return VFS_ENAMETOOLONG;
		/* A last component of "." or ".." names a directory, as a trailing '/' does. */
		dir = false;
		if (name[0] == '.' && n == 1) {
			dir = true;
			continue;
		}
		if (name[0] == '.' && n == 2 && name[1] == '.') {
			dir = true;
			/* Back to the parent; at '/' stay there (it is its own parent). */
			while (olen > 1 && out[olen - 1] != '/')
				olen--;
			if (olen > 1)
				olen--; /* the '/' before the dropped name, unless it is the root */
			continue;
		}
		size_t sep = olen > 1 ? 1 : 0;
		if (olen + sep + n >= VFS_PATH_MAX)
			return VFS_ENAMETOOLONG;
		if (sep)
			out[olen++] = '/';
		memcpy(out + olen, name, n);
		olen += n;
	}
	out[olen] = '\0';
	if (flags != NULL)
		*flags = dir ? VFS_PATH_DIR : 0;
	return VFS_OK;
}

void vfs_cwd_init(struct vfs_cwd *cwd)
{
	cwd->path[0] = '/';
	cwd->path[1] = '\0';
}

enum vfs_errno vfs_cwd_set(struct vfs_cwd *cwd, const char *resolved)
{
	if (!vfs_path_is_normal(resolved))
		return VFS_EINVAL;
	/* Normal, so its NUL is within VFS_PATH_MAX bytes. */
	memcpy(cwd->path, resolved, strlen(resolved) + 1);
	return VFS_OK;
}
