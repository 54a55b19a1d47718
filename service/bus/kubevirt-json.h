/* JSON documents in KubeVirt's shapes (its guestosinfo, userlist and
 * filesystemlist subresources, and status.interfaces), built with jansson,
 * so tools written for KubeVirt read them unchanged. Each returns a
 * malloc'ed compact JSON string, or NULL on allocation failure. */
#pragma once

#include "guest-data.h"

/* {"guestAgentVersion","supportedCommands":[{"name","enabled"}],"hostname",
 *  "os":{"name","kernelRelease","version","prettyName","versionId",
 *        "kernelVersion","machine","id"},
 *  "timezone":"<name>, <offset>","userList":[<= 10 users],
 *  "fsInfo":{"disks":[<= 10 filesystems]},"metadata":{"creationTimestamp":null}}
 * agent or guest may be NULL (fields then omitted). */
char *kubevirt_guestosinfo_json(const AgentInfo *agent, const GuestInfo *guest);
/* {"items":[every user {"userName","domain","loginTime"}],"metadata":{}} */
char *kubevirt_userlist_json(const GuestInfo *guest);
/* {"items":[every filesystem {"diskName","mountPoint","fileSystemType",
 *  "usedBytes","totalBytes","disk":[{"serial","busType"}]}],"metadata":{}} */
char *kubevirt_filesystemlist_json(const GuestInfo *guest);
/* [{"name","interfaceName","mac","ipAddress","ipAddresses","infoSource"}] */
char *kubevirt_interfaces_json(const MergedInterfaces *m);
