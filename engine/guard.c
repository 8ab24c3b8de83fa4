/* guard.c: SIGSEGV/SIGBUS inside a guarded store read -> siglongjmp back to the guard (guard.h). */
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "guard.h"

static __thread bcms_guard_t guard;
static struct sigaction prev_segv, prev_bus;
static pthread_once_t installed = PTHREAD_ONCE_INIT;

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
    (void)si, (void)ctx;
    if (guard.active) {
        guard.active = 0;
        siglongjmp(guard.jb, 1);
    }
    /* not a guarded read: give the fault back to whoever handled it before (default: core dump) */
    sigaction(sig, sig == SIGBUS ? &prev_bus : &prev_segv, NULL);
}

static void install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    /* SA_NODEFER: the jump leaves the handler without restoring the mask (sigsetjmp(.., 0) keeps
     * the guard cheap), so the signal must not stay blocked */
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &prev_segv);
    sigaction(SIGBUS, &sa, &prev_bus);
}

bcms_guard_t *bcms_guard_self(void)
{
    pthread_once(&installed, install);
    return &guard;
}
