// Plans and decodes SCSI pass-through requests (spti_request.h). Pure.
#include "src/spti_request.h"

#include <algorithm>
#include <cstddef>
#include <limits>

#include "absl/strings/str_cat.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi {

absl::StatusOr<SptiRequest> PlanSptiRequest(const ScsiCommand& command) {
  if (absl::Status valid = ValidateScsiCommand(
          command, {"SCSI pass-through", kSptiMaxCdbLength, std::numeric_limits<std::uint32_t>::max()});
      !valid.ok()) {
    return valid;
  }
  SptiRequest request;
  request.cdb_length = static_cast<std::uint8_t>(command.cdb.size());
  std::copy(command.cdb.begin(), command.cdb.end(), request.cdb.begin());
  switch (command.direction) {
    case DataDirection::kNone:
      request.data_in = kSptiDataUnspecified;
      break;
    case DataDirection::kFromDevice:
      request.data_in = kSptiDataIn;
      request.data_transfer_length = command.data_in_length;
      break;
    case DataDirection::kToDevice:
      request.data_in = kSptiDataOut;
      request.data_transfer_length = static_cast<std::uint32_t>(command.data_out.size());
      break;
  }
  const std::int64_t seconds = absl::ToInt64Seconds(absl::Ceil(command.timeout, absl::Seconds(1)));
  request.timeout_seconds = static_cast<std::uint32_t>(
      std::clamp<std::int64_t>(seconds, 1, kSptiMaxTimeoutSeconds));
  return request;
}

ScsiResult DecodeSptiCompletion(const SptiRequest& request, const SptiCompletion& completion,
                                absl::Span<const std::uint8_t> data_buffer,
                                absl::Span<const std::uint8_t> sense_buffer) {
  ScsiResult result;
  result.status = completion.scsi_status;
  if (request.data_in == kSptiDataIn) {
    const std::size_t n = std::min<std::size_t>(
        {completion.data_transfer_length, request.data_transfer_length, data_buffer.size()});
    result.data_in.assign(data_buffer.begin(), data_buffer.begin() + n);
  }
  const std::size_t sense = std::min<std::size_t>(
      {completion.sense_info_length, request.sense_info_length, sense_buffer.size()});
  result.sense.assign(sense_buffer.begin(), sense_buffer.begin() + sense);
  return result;
}

#if defined(_WIN32)
void BuildSptiDirect(const SptiRequest& request, void* data, SptiDirectBuffer* buffer) {
  ZeroMemory(buffer, sizeof(*buffer));
  SCSI_PASS_THROUGH_DIRECT& spt = buffer->request;
  spt.Length = sizeof(SCSI_PASS_THROUGH_DIRECT);
  spt.CdbLength = request.cdb_length;
  std::copy(request.cdb.begin(), request.cdb.begin() + request.cdb_length, spt.Cdb);
  spt.DataIn = request.data_in;
  spt.DataTransferLength = request.data_transfer_length;
  spt.DataBuffer = request.data_transfer_length == 0 ? nullptr : data;
  spt.TimeOutValue = request.timeout_seconds;
  spt.SenseInfoLength = request.sense_info_length;
  spt.SenseInfoOffset = offsetof(SptiDirectBuffer, sense);
}

SptiCompletion ReadSptiCompletion(const SptiDirectBuffer& buffer) {
  SptiCompletion completion;
  completion.scsi_status = buffer.request.ScsiStatus;
  completion.sense_info_length = buffer.request.SenseInfoLength;
  completion.data_transfer_length = buffer.request.DataTransferLength;
  return completion;
}
#endif

}  // namespace hwsnap::scsi
