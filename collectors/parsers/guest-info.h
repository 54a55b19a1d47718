/* virDomainGetGuestInfo's typed parameters → GuestInfo. */
#pragma once

#include <libvirt/libvirt.h>

#include "guest-data.h"

/* kinds: the GuestKind bits that were asked for; they become (*ret)->kinds
 * even if the guest sent nothing for one (then it has no data of that kind).
 * Keys as libvirt 9.0 spells them ("os.pretty-name", "user.N.login-time" in
 * ms, "fs.N.disk.M.serial", "if.N.addr.M.addr", ...). Unknown keys are
 * ignored; indexes at or beyond the *_MAX caps are dropped; a "count" is
 * trusted only up to the cap. Returns 0 or -ENOMEM. */
int guest_info_from_typed_params(const virTypedParameter *params, int n, unsigned kinds, GuestInfo **ret);
