// hwsnap/scsi/libiscsi_transport.h — SCSI commands over iSCSI from user space.
//
// Built where pkg-config finds libiscsi (Linux; HWSNAP_HAVE_LIBISCSI): the
// backend reaches an iSCSI LUN — a tgt target on 127.0.0.1 in the tests — with
// no kernel initiator, no /dev node and no root. Most callers go through
// OpenScsiTransport("iscsi://HOST[:PORT]/TARGET/LUN"); this is its iSCSI arm.
//
// One transport = one iSCSI session (normal session, header digest
// None,CRC32C offered, logged in as TransportOptions::initiator_name) to one
// LUN. Commands run one at a time on the caller's thread through libiscsi's
// non-blocking API and a poll loop, so every command and the login honour
// their own deadline to the millisecond (libiscsi's own timeouts are whole
// seconds). A command that times out is aborted by dropping the session (the
// target aborts the tasks of a closed connection); the next command logs in
// again. A dropped connection is re-established once per command and the
// command re-sent; if that fails the command fails with kBackendFailure.
// SIGPIPE from a dead peer is blocked and consumed on the calling thread.
#ifndef HWSNAP_SCSI_LIBISCSI_TRANSPORT_H_
#define HWSNAP_SCSI_LIBISCSI_TRANSPORT_H_

#include <memory>

#include "absl/status/statusor.h"
#include "hwsnap/scsi/scsi_address.h"
#include "hwsnap/scsi/scsi_transport.h"

namespace hwsnap::scsi {

// Logs in to `address` (within options.connect_timeout; following up to two
// login redirects) and checks the LUN exists with TEST UNIT READY, consuming
// the unit attentions a new session reports. Address() is the canonical
// iscsi:// text; bus_type() is BusType::kIscsi.
// Errors: kInvalidArgument (malformed initiator name, non-positive timeout),
// kDeadlineExceeded (login took longer than connect_timeout), kBackendFailure
// (connection refused, login rejected, no such target or LUN; the message
// carries the socket's or libiscsi's words).
absl::StatusOr<std::unique_ptr<ScsiTransport>> OpenLibiscsiTransport(
    const IscsiAddress& address, const TransportOptions& options);

}  // namespace hwsnap::scsi

#endif  // HWSNAP_SCSI_LIBISCSI_TRANSPORT_H_
