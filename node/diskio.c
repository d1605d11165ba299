/*  diskio: shared file operations of the durable modules. See diskio.h. */
#define _POSIX_C_SOURCE 200809L
#include "diskio.h"
#include "errmsg.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
diskio_write_all (int fd, const void *data, size_t size, uint64_t offset)
{
    const uint8_t *at = (const uint8_t *) data;
    while (size) {
        ssize_t done = pwrite (fd, at, size, (off_t) offset);
        if (done < 0 && errno == EINTR)
            continue;
        if (done <= 0) {
            if (done == 0)
                errno = EIO;
            return -1;
        }
        at += done;
        size -= (size_t) done;
        offset += (uint64_t) done;
    }
    return 0;
}

int
diskio_sync_dir (const char *dir, char *err, size_t err_size)
{
    int dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0 || fsync (dir_fd) != 0) {
        int saved = errno;
        if (dir_fd >= 0)
            close (dir_fd);
        return errmsg_set (err, err_size, "%s: directory fsync failed: %s", dir, strerror (saved));
    }
    close (dir_fd);
    return 0;
}

int
diskio_replace (const char *dir, const char *temp, const char *name,
                const diskio_piece_t *pieces, size_t count, bool keep_open,
                char *err, size_t err_size)
{
    char temp_path [PATH_MAX], path [PATH_MAX];
    if ((size_t) snprintf (temp_path, sizeof temp_path, "%s/%s", dir, temp) >= sizeof temp_path
    ||  (size_t) snprintf (path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return errmsg_set (err, err_size, "%s: path too long", dir);
    int fd = open (temp_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return errmsg_set (err, err_size, "%s: %s", temp_path, strerror (errno));
    uint64_t offset = 0;
    bool ok = true;
    for (size_t i = 0; i < count && ok; i++) {
        ok = diskio_write_all (fd, pieces [i].data, pieces [i].size, offset) == 0;
        offset += pieces [i].size;
    }
    if (!ok || fsync (fd) != 0) {
        int saved = errno;
        close (fd);
        unlink (temp_path);
        return errmsg_set (err, err_size, "%s: write or fsync failed: %s", temp_path,
                           strerror (saved));
    }
    if (rename (temp_path, path) != 0) {
        int saved = errno;
        close (fd);
        unlink (temp_path);
        return errmsg_set (err, err_size, "%s: rename failed: %s", path, strerror (saved));
    }
    if (keep_open)
        return fd;
    close (fd);
    return 0;
}
