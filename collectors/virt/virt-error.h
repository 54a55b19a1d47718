/* The one reader of libvirt's errors.
 *
 * libvirt's messages quote domain names, URIs, paths and what guests sent
 * (terminal escapes, invalid UTF-8, whole lines of JSON): they are made safe
 * for a log line or a bus error here, once, with one bound, for every
 * caller. */
#pragma once

/* Bytes kept of a message, its prefix included. */
#define VIRT_ERROR_MESSAGE_MAX 512

/* libvirt's last error on the calling thread, as a negative errno:
 * -ENOENT     no such domain
 * -ETIMEDOUT  the guest agent did not answer in time
 * -E2BIG      libvirt's RPC refused a message (over its size limits)
 * -EOPNOTSUPP the driver does not do that
 * -ENOMEM     libvirt ran out of memory
 * -EIO        anything else, or no error recorded.
 * If ret_message is not NULL, *ret_message is "what: message" (just the
 * message if what is NULL), sanitized and bounded, or NULL if that could
 * not be allocated; the caller frees it. */
int virt_error_last(const char *what, char **ret_message);
