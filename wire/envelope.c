/*  envelope: frames, head and socket limits. See envelope.h.

    The head parser is the one piece of the receive path that reads
    unauthenticated bytes before the signature check, so it is kept
    trivial: fixed prefix, a few digits, three space-separated tokens, each
    checked against the id alphabet before it is copied.
*/
#include "envelope.h"
#include <assert.h>
#include <string.h>

#define S_PREFIX        WIRE_PROTOCOL "/"
#define S_PREFIX_LEN    (sizeof (S_PREFIX) - 1)

int
wire_head_format (char *buf, size_t size, const char *cluster, wire_type_t type,
                  const char *from)
{
    const char *name = wire_type_name (type);
    if (!name || !wire_cluster_valid (cluster, strlen (cluster))
    ||  !wire_id_valid (from, strlen (from)))
        return -1;
    //  snprintf needs room for its NUL; the frame does not carry it.
    char tmp [WIRE_HEAD_BYTES_MAX + 1];
    int len = snprintf (tmp, sizeof (tmp), "%s%d %s %s %s", S_PREFIX, WIRE_VERSION,
                        cluster, name, from);
    if (len < 0 || (size_t) len >= sizeof (tmp) || (size_t) len > size)
        return -1;
    memcpy (buf, tmp, (size_t) len);
    return len;
}

int
wire_topic (char *buf, size_t size, const char *cluster, wire_type_t type)
{
    const char *name = wire_type_name (type);
    if (!name || !wire_cluster_valid (cluster, strlen (cluster)))
        return -1;
    int len = snprintf (buf, size, "%s%d %s %s ", S_PREFIX, WIRE_VERSION, cluster, name);
    return len < 0 || (size_t) len >= size ? -1 : len;
}

//  The next space-free token at *pos in [data, end); advances past it and
//  one following space if more_follows. Returns its length, or -1.
static int
s_token (const uint8_t *data, size_t size, size_t *pos, bool more_follows, const uint8_t **token)
{
    size_t start = *pos, at = start;
    while (at < size && data [at] != ' ')
        at++;
    if (at == start)
        return -1;
    if (more_follows) {
        if (at >= size)
            return -1;              //  Needed a space here
        *pos = at + 1;
    }
    else {
        if (at != size)
            return -1;              //  Nothing may follow the last token
        *pos = at;
    }
    *token = data + start;
    return (int) (at - start);
}

int
wire_head_parse (const uint8_t *data, size_t size, wire_head_t *head)
{
    memset (head, 0, sizeof (*head));
    if (size > WIRE_HEAD_BYTES_MAX || size < S_PREFIX_LEN
    ||  memcmp (data, S_PREFIX, S_PREFIX_LEN) != 0)
        return WIRE_MALFORMED;
    //  Version: 1..WIRE_VERSION_DIGITS_MAX decimal digits, no leading zero.
    size_t pos = S_PREFIX_LEN;
    uint32_t version = 0;
    size_t digits = 0;
    while (pos < size && data [pos] >= '0' && data [pos] <= '9') {
        if (++digits > WIRE_VERSION_DIGITS_MAX)
            return WIRE_MALFORMED;
        version = version * 10 + (uint32_t) (data [pos] - '0');
        pos++;
    }
    if (digits == 0 || (digits > 1 && data [S_PREFIX_LEN] == '0') || version == 0)
        return WIRE_MALFORMED;
    if (version != WIRE_VERSION)
        return WIRE_UNSUPPORTED;    //  Its head may differ; read no further
    if (pos >= size || data [pos] != ' ')
        return WIRE_MALFORMED;
    pos++;

    const uint8_t *token;
    int len = s_token (data, size, &pos, true, &token);
    if (len < 0 || !wire_cluster_valid ((const char *) token, (size_t) len))
        return WIRE_MALFORMED;
    memcpy (head->cluster, token, (size_t) len);

    len = s_token (data, size, &pos, true, &token);
    if (len < 0)
        return WIRE_MALFORMED;
    head->type = wire_type_from_name ((const char *) token, (size_t) len);
    if (head->type == 0)
        return WIRE_MALFORMED;

    len = s_token (data, size, &pos, false, &token);
    if (len < 0 || !wire_id_valid ((const char *) token, (size_t) len))
        return WIRE_MALFORMED;
    memcpy (head->from, token, (size_t) len);
    head->version = version;
    return 0;
}

zmsg_t *
wire_envelope_zmsg (const wire_sealed_t *sealed)
{
    zmsg_t *msg = zmsg_new ();
    if (!msg)
        return NULL;
    if (zmsg_addmem (msg, sealed->head, sealed->head_size) != 0
    ||  zmsg_addmem (msg, sealed->body, sealed->body_size) != 0
    ||  zmsg_addmem (msg, sealed->sig, WIRE_SIG_BYTES) != 0)
        zmsg_destroy (&msg);
    return msg;
}

zmsg_t *
wire_recv (zsock_t *sock, size_t frames_max)
{
    zmsg_t *msg = zmsg_new ();
    if (!msg)
        return NULL;
    size_t kept = 0;
    while (true) {
        zframe_t *frame = zframe_recv (sock);
        if (!frame) {
            //  Interrupted mid-message, or nothing to receive
            zmsg_destroy (&msg);
            return NULL;
        }
        bool more = zframe_more (frame);
        if (kept <= frames_max) {
            zmsg_append (msg, &frame);
            kept++;
        }
        else
            zframe_destroy (&frame);    //  Excess frames are dropped unkept
        if (!more)
            break;
    }
    return msg;
}

void
wire_socket_harden (zsock_t *sock, size_t max_frame)
{
    //  Every message needs its head and signature frames to fit.
    assert (max_frame >= WIRE_HEAD_BYTES_MAX && max_frame <= WIRE_FRAME_BYTES_MAX);
    zsock_set_maxmsgsize (sock, (int) max_frame);
    zsock_set_linger (sock, 0);
    zsock_set_sndhwm (sock, WIRE_HWM_MSGS);
    zsock_set_rcvhwm (sock, WIRE_HWM_MSGS);
    if (zsock_type (sock) == ZMQ_DEALER)
        zsock_set_immediate (sock, 1);
}
