/* The shell's file commands (shell_files.c): each takes the command line's words. */
#ifndef M6_SHELL_FILES_H
#define M6_SHELL_FILES_H

void shell_ls(int argc, char **argv);
void shell_cat(int argc, char **argv);
void shell_cp(int argc, char **argv);
void shell_mv(int argc, char **argv);
void shell_rm(int argc, char **argv);
void shell_mkdir(int argc, char **argv);
void shell_rmdir(int argc, char **argv);
void shell_touch(int argc, char **argv);
void shell_write(int argc, char **argv);
void shell_df(int argc, char **argv);
void shell_mount(int argc, char **argv);
void shell_cd(int argc, char **argv);
void shell_pwd(int argc, char **argv);
void shell_sync(int argc, char **argv);

/* Before the machine powers off or resets: syncs every file system when the shell has the
 * file service (a line says so, and another if it fails); nothing otherwise. */
void shell_files_before_off(void);

/* At start-up: prints /etc/motd when the shell has the file service and the file exists. */
void shell_files_motd(void);

#endif
