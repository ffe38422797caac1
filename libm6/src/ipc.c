/* The server loop. */
#include <m6/ipc.h>

void m6_serve(m6_cptr_t ep, m6_request_handler on_request, m6_notification_handler on_notification,
              void *ctx)
{
	struct m6_msg m = {0};
	m6_recv(ep, &m);
	for (;;) {
		if (m6_msginfo_label(m.info) == M6_LABEL_NOTIFICATION &&
		    m6_msginfo_length(m.info) == 0) {
			if (on_notification)
				on_notification(ctx, m.badge);
			m = (struct m6_msg){0};
			m6_recv(ep, &m); /* nobody to answer */
			continue;
		}
		if (on_request(ctx, &m) != 0) {
			m = (struct m6_msg){0};
			m6_recv(ep, &m);
			continue;
		}
		if (m6_reply_recv(ep, &m) != M6_OK) {
			/* The answer was refused (a cap the server may not give, or a bad one):
			 * the caller still waits; tell it why, without the cap, and go on. */
			uint64_t err = m.word0;
			m = (struct m6_msg){.info = m6_msginfo(err, 0)};
			m6_reply(&m);
			m = (struct m6_msg){0};
			m6_recv(ep, &m);
		}
	}
}
