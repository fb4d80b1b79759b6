/*
 * uefi.c - the run's EFI system partition and firmware variables
 * (see uefi.h). Files are copied, never linked: QEMU's vvfat may write
 * to the tree, and nothing it does may reach build/ or /usr/share/OVMF.
 */
#define _GNU_SOURCE
#include "host/runner/uefi.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/runner/util.h"

static int uefi_fail(char *err, size_t err_size, const char *what,
		     const char *path, int e)
{
	snprintf(err, err_size, "UEFI boot: %s %s: %s", what, path,
		 strerror(e));
	return -1;
}

static int uefi_write_all(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = write(fd, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Copies src to dst (new file), at most UEFI_MAX_COPY bytes. */
static int uefi_copy(const char *src, const char *dst, char *err,
		     size_t err_size)
{
	char buf[65536];
	size_t total = 0;
	int in, out, e;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return uefi_fail(err, err_size, "cannot open", src, errno);
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		e = errno;
		close(in);
		return uefi_fail(err, err_size, "cannot create", dst, e);
	}
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (n > 0 && uefi_write_all(out, buf, (size_t)n))) {
			e = errno;
			close(in);
			close(out);
			return uefi_fail(err, err_size, "cannot copy", src, e);
		}
		if (n == 0)
			break;
		total += (size_t)n;
		if (total > UEFI_MAX_COPY) {
			close(in);
			close(out);
			snprintf(err, err_size,
				 "UEFI boot: %s is larger than %u MiB", src,
				 UEFI_MAX_COPY >> 20);
			return -1;
		}
	}
	close(in);
	if (close(out))
		return uefi_fail(err, err_size, "cannot write", dst, errno);
	return 0;
}

static int uefi_write_cfg(const char *path, const char *cmdline, char *err,
			  size_t err_size)
{
	static const char head[] =
		"# written by pinprick-run for this run only: the kernel "
		"command line\n";
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0)
		return uefi_fail(err, err_size, "cannot create", path, errno);
	if (uefi_write_all(fd, head, sizeof(head) - 1) ||
	    uefi_write_all(fd, cmdline, strlen(cmdline)) ||
	    uefi_write_all(fd, "\n", 1)) {
		int e = errno;

		close(fd);
		return uefi_fail(err, err_size, "cannot write", path, e);
	}
	if (close(fd))
		return uefi_fail(err, err_size, "cannot write", path, errno);
	return 0;
}

static int uefi_path(char *dst, size_t size, const char *a, const char *b,
		     char *err, size_t err_size)
{
	int n = snprintf(dst, size, "%s/%s", a, b);

	if (n < 0 || (size_t)n >= size) {
		snprintf(err, err_size, "UEFI boot: path too long under %s", a);
		return -1;
	}
	return 0;
}

int uefi_prepare(const struct prof *p, const char *efi_app, const char *cmdline,
		 const char *boot_image, const char *tmpdir,
		 struct uefi_files *f, char *err, size_t err_size)
{
	char dir[4096 + 16];

	memset(f, 0, sizeof(*f));
	if (uefi_path(f->vars, sizeof(f->vars), tmpdir, "OVMF_VARS.fd", err,
		      err_size) ||
	    uefi_copy(p->ovmf_vars, f->vars, err, err_size))
		return -1;
	f->made = 1;
	if (boot_image)
		return 0;
	if (uefi_path(f->esp_dir, sizeof(f->esp_dir), tmpdir, "esp", err,
		      err_size) ||
	    uefi_path(f->efi, sizeof(f->efi), f->esp_dir,
		      "EFI/BOOT/BOOTX64.EFI", err, err_size) ||
	    uefi_path(f->cfg, sizeof(f->cfg), f->esp_dir,
		      "EFI/BOOT/pinprick.cfg", err, err_size))
		return -1;
	snprintf(dir, sizeof(dir), "%s", f->esp_dir);
	if (mkdir(dir, 0700))
		return uefi_fail(err, err_size, "cannot create", dir, errno);
	f->made = 2;
	snprintf(dir, sizeof(dir), "%s/EFI", f->esp_dir);
	if (mkdir(dir, 0700))
		return uefi_fail(err, err_size, "cannot create", dir, errno);
	f->made = 3;
	snprintf(dir, sizeof(dir), "%s/EFI/BOOT", f->esp_dir);
	if (mkdir(dir, 0700))
		return uefi_fail(err, err_size, "cannot create", dir, errno);
	f->made = 4;
	if (uefi_copy(efi_app, f->efi, err, err_size))
		return -1;
	return uefi_write_cfg(f->cfg, cmdline, err, err_size);
}

/* Removes the files in dir (vvfat may have added some), then dir. */
static void uefi_rmdir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d) {
		while ((e = readdir(d))) {
			char path[8192];

			if (e->d_type != DT_REG)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	if (rmdir(dir) && errno != ENOENT)
		fprintf(stderr, "pinprick-run: cannot remove %s: %s\n", dir,
			strerror(errno));
}

void uefi_remove(struct uefi_files *f)
{
	char dir[4096 + 16];

	if (f->made >= 4) {
		snprintf(dir, sizeof(dir), "%s/EFI/BOOT", f->esp_dir);
		uefi_rmdir(dir);
	}
	if (f->made >= 3) {
		snprintf(dir, sizeof(dir), "%s/EFI", f->esp_dir);
		uefi_rmdir(dir);
	}
	if (f->made >= 2)
		uefi_rmdir(f->esp_dir);
	if (f->made >= 1)
		unlink(f->vars);
	f->made = 0;
}
