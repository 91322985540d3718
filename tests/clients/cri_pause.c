/* The pod sandbox's init for test_cri.py: the `pause` image's only binary
 * (built with gcc -static at test time).  It holds the pod's namespaces
 * open and does nothing: it sleeps until SIGINT or SIGTERM (then exits 0,
 * so StopPodSandbox ends it gracefully) and, as pid 1 of a shared pid
 * namespace, reaps the orphans the pod's containers leave it. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_stop(int sig)
{
	(void) sig;
	_exit(0);
}

static void on_child(int sig)
{
	(void) sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

int main(void)
{
	struct sigaction sa = { 0 };

	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_child;
	sa.sa_flags = SA_NOCLDSTOP | SA_RESTART;
	sigaction(SIGCHLD, &sa, NULL);
	for (;;)
		pause();
	return 1;
}
