/* Compiled into every component that links m6::files, with that component's m6_caps.h:
 * when its spec grants the file service under the name VFS (`call vfs.files as VFS badge
 * N window SIZE`), the file API is ready before main. Any other name: the component
 * calls m6_files_init() itself. */
#include <m6/files.h>
#include <m6_caps.h>

#if defined(CAP_VFS) && defined(M6_WINDOW_VFS_VADDR) && defined(M6_WINDOW_VFS_SIZE)
__attribute__((constructor)) static void m6_files_select(void)
{
	m6_files_init(CAP_VFS, M6_WINDOW_VFS_VADDR, M6_WINDOW_VFS_SIZE);
}
#else
typedef int m6_files_select_unused; /* an empty file is not C */
#endif
