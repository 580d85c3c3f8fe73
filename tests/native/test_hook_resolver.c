/* Property: getaddrinfo in a hooked library runs off the kernel's thread: the fiber waits
 * for it (one descriptor wait) while another fiber keeps running, and gets the same
 * answer as a direct call. */
#include "hook_test.h"

#include <arpa/inet.h>

static hook_target t;
static int lookup_done;

static intptr_t resolver(intptr_t unused)
{
    (void)unused;
    struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_NUMERICSERV }, *res = NULL;
    CHECK_EQ(t.getaddrinfo("localhost", "8080", &hints, &res), 0);
    CHECK(res != NULL);
    struct sockaddr_in *sin = (struct sockaddr_in *)res->ai_addr;
    CHECK_EQ(ntohs(sin->sin_port), 8080);
    CHECK_EQ(ntohl(sin->sin_addr.s_addr), INADDR_LOOPBACK);
    freeaddrinfo(res);
    CHECK(t.getaddrinfo("no-such-host.invalid", NULL, &hints, &res) != 0);
    lookup_done = 1;
    return 1;
}

static intptr_t spinner(intptr_t unused)
{
    (void)unused;
    long turns = 0;
    while (!lookup_done) {
        CHECK_EQ(thredo_sleep_ms(1), 0);
        turns++;
    }
    return turns > 0;
}

int main(void)
{
    ht_open(&t, HOOK_TARGET, 1);
    mini_kernel k;
    mk_init(&k);
    mk_fiber *r = mk_spawn(&k, resolver, 0, 0, 1);
    mk_fiber *s = mk_spawn(&k, spinner, 0, 0, 2);
    mk_run(&k);
    CHECK_EQ(r->result, 1);
    CHECK_EQ(s->result, 1);
    CHECK_EQ(k.served[THREDO_REQ_WAIT_FD], 2);   /* one wait per lookup */
    mk_destroy(&k);
    return 0;
}
