/* test/pcie: a component with a cap to the bus's endpoint whose badge (99) the spec gave
 * no claim (`call bus.pci as RAW badge 99`): the bus's generated server refuses every
 * method, and the spec asserts it reaches no PCI function. */
#include <m6/caps.h>
#include <m6/invocations.h>

#include "pci_idl.h"
#include "pcitest_check.h"

int main(void)
{
	who = "bystander";
	uint32_t n = 0;
	struct pci_identity id;
	struct pci_bar_info info;
	uint32_t v;
	check_status(pci_count(CAP_RAW, &n), M6_ERR_INSUFFICIENT_RIGHTS, "count with badge 99");
	check_status(pci_claim(CAP_RAW, 0, &id), M6_ERR_INSUFFICIENT_RIGHTS, "claim with badge 99");
	check_status(pci_bar(CAP_RAW, 0, 0, &info), M6_ERR_INSUFFICIENT_RIGHTS,
	             "bar with badge 99");
	check_status(pci_config_read(CAP_RAW, 0, 0, &v), M6_ERR_INSUFFICIENT_RIGHTS,
	             "config read with badge 99");
	check_status(pci_reset(CAP_RAW, 0), M6_ERR_INSUFFICIENT_RIGHTS, "reset with badge 99");
	check_status(pci_iospace(CAP_RAW, 0, m6_cap_alloc()), M6_ERR_INSUFFICIENT_RIGHTS,
	             "iospace with badge 99");
	say("bystander: ");
	say(failures ? "FAILED " : "all ");
	say_hex(checks - failures);
	say(" of ");
	say_hex(checks);
	say(" checks passed\n");
	m6_signal(CAP_DONE);
	return 0;
}
