// capture_sg_pages — prints the raw response bytes of a LUN's identity
// commands, and the sense data of a few commands that fail with CHECK
// CONDITION, as fixture files for the SCSI parser tests, over Linux SG_IO.
//
// Why: the parsers are tested against pages real targets returned. Inside the
// hwsnap test VM (tools/vm/capture-scsi-fixtures.sh) this program talks to
// scsi_debug, QEMU's scsi-hd and LIO through /dev/sgN. It is self-contained
// (raw SG_IO, no hwsnap code) so fixtures can be captured before, and
// independently of, the code they test; it is linked statically so the
// initramfs needs no libraries.
//
// Output (stdout) is a stream of files, each
//   @@FILE <device>/<name>.hex
//   # captured by capture_sg_pages over SG_IO ... : <command>
//   # <n> bytes
//   xx xx xx ... (16 per line)
//   @@END
// which the host script splits into tests/scsi/fixtures/vm/<device>/.
//
// Usage: capture_sg_pages /dev/sgN DEVICE "SOURCE DESCRIPTION" [--sense-suffix S]
//   --sense-suffix S  capture only the sense probes, naming them sense_<probe>_S
//                     (e.g. after switching scsi_debug to descriptor sense).
#include <fcntl.h>
#include <scsi/sg.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Reply {
  bool transport_ok = false;
  std::uint8_t status = 0;
  std::vector<std::uint8_t> data;
  std::vector<std::uint8_t> sense;
};

Reply Run(int fd, std::vector<std::uint8_t> cdb, std::uint32_t data_in_length,
          std::vector<std::uint8_t> data_out = {}) {
  Reply reply;
  std::vector<std::uint8_t> buffer(data_in_length);
  std::uint8_t sense[252] = {};
  sg_io_hdr_t hdr{};
  hdr.interface_id = 'S';
  hdr.cmdp = cdb.data();
  hdr.cmd_len = static_cast<unsigned char>(cdb.size());
  if (!data_out.empty()) {
    hdr.dxfer_direction = SG_DXFER_TO_DEV;
    hdr.dxferp = data_out.data();
    hdr.dxfer_len = static_cast<unsigned>(data_out.size());
  } else {
    hdr.dxfer_direction = data_in_length > 0 ? SG_DXFER_FROM_DEV : SG_DXFER_NONE;
    hdr.dxferp = data_in_length > 0 ? buffer.data() : nullptr;
    hdr.dxfer_len = data_in_length;
  }
  hdr.sbp = sense;
  hdr.mx_sb_len = sizeof(sense);
  hdr.timeout = 20000;
  if (ioctl(fd, SG_IO, &hdr) != 0 || hdr.host_status != 0 ||
      (hdr.driver_status & ~0x08) != 0) {  // DRIVER_SENSE alone is fine
    std::fprintf(stderr, "SG_IO failed: host %u driver %u\n", hdr.host_status, hdr.driver_status);
    return reply;
  }
  reply.transport_ok = true;
  reply.status = hdr.status;
  const int got = data_out.empty() ? static_cast<int>(data_in_length) - hdr.resid : 0;
  if (got > 0) reply.data.assign(buffer.begin(), buffer.begin() + got);
  reply.sense.assign(sense, sense + hdr.sb_len_wr);
  return reply;
}

struct Capture {
  int fd = -1;
  std::string device;
  std::string source;
  std::string kernel;
  int written = 0;
  bool saw_unit_attention = false;
};

void Emit(Capture& c, const std::string& name, const std::string& how,
          const std::vector<std::uint8_t>& bytes) {
  std::printf("@@FILE %s/%s.hex\n", c.device.c_str(), name.c_str());
  std::printf("# captured by capture_sg_pages over SG_IO in the hwsnap test VM (Debian kernel %s) from %s: %s\n",
              c.kernel.c_str(), c.source.c_str(), how.c_str());
  std::printf("# %zu bytes\n", bytes.size());
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::printf("%02x%s", bytes[i], (i % 16 == 15 || i + 1 == bytes.size()) ? "\n" : " ");
  }
  std::printf("@@END\n");
  ++c.written;
}

bool IsUnitAttention(const Reply& r) {
  if (!r.transport_ok || r.status != 0x02 || r.sense.size() < 3) return false;
  const std::uint8_t code = r.sense[0] & 0x7f;
  const std::uint8_t key = (code >= 0x72) ? (r.sense[1] & 0x0f) : (r.sense[2] & 0x0f);
  return key == 0x06;
}

// Runs `cdb`, retrying after UNIT ATTENTION (as an initiator's disk stack
// does); the first unit attention seen on the device is saved as a fixture.
Reply RunPastUnitAttention(Capture& c, const std::vector<std::uint8_t>& cdb, std::uint32_t length,
                           const std::vector<std::uint8_t>& data_out = {}) {
  Reply r = Run(c.fd, cdb, length, data_out);
  for (int retry = 0; retry < 3 && IsUnitAttention(r); ++retry) {
    if (!c.saw_unit_attention) {
      c.saw_unit_attention = true;
      Emit(c, "sense_unit_attention", "sense of the first command after LUN setup (unit attention)",
           r.sense);
    }
    r = Run(c.fd, cdb, length, data_out);
  }
  return r;
}

// The length a response says it has (`length_of`), or 0 when unknown.
using LengthOf = std::size_t (*)(const std::vector<std::uint8_t>&);
std::size_t VpdLength(const std::vector<std::uint8_t>& d) {
  return d.size() < 4 ? 0 : 4 + ((std::size_t{d[2]} << 8) | d[3]);
}
std::size_t Be32Length(const std::vector<std::uint8_t>& d) {  // RSOC, RCOP: bytes 0-3 + 4
  if (d.size() < 4) return 0;
  return 4 + ((std::size_t{d[0]} << 24) | (std::size_t{d[1]} << 16) | (std::size_t{d[2]} << 8) | d[3]);
}
std::size_t InquiryLength(const std::vector<std::uint8_t>& d) {
  return d.size() < 5 ? 0 : 5 + std::size_t{d[4]};
}

// Saves the data-in of a command that must complete GOOD. Some devices (QEMU)
// return the whole allocation length zero-padded; with `length_of` the
// padding after the response's own length is dropped and the comment says so.
bool SaveData(Capture& c, const std::string& name, const std::string& how,
              const std::vector<std::uint8_t>& cdb, std::uint32_t length,
              LengthOf length_of = nullptr) {
  const Reply r = RunPastUnitAttention(c, cdb, length);
  if (!r.transport_ok || r.status != 0) {
    std::fprintf(stderr, "%s: %s failed (status 0x%02x)\n", c.device.c_str(), name.c_str(), r.status);
    return false;
  }
  std::vector<std::uint8_t> data = r.data;
  std::string note = how;
  const std::size_t own = length_of != nullptr ? length_of(data) : 0;
  if (own != 0 && own < data.size()) {
    note += "; the device returned " + std::to_string(data.size()) +
            " bytes (zero padding up to the allocation length), kept the first " + std::to_string(own);
    data.resize(own);
  }
  Emit(c, name, note, data);
  return true;
}

// Saves the sense of a command that must end in CHECK CONDITION.
bool SaveSense(Capture& c, const std::string& name, const std::string& how,
               const std::vector<std::uint8_t>& cdb, std::uint32_t length) {
  const Reply r = RunPastUnitAttention(c, cdb, length);
  if (!r.transport_ok || r.status != 0x02 || r.sense.empty()) {
    std::fprintf(stderr, "%s: %s: expected CHECK CONDITION, got status 0x%02x\n", c.device.c_str(),
                 name.c_str(), r.status);
    return false;
  }
  Emit(c, name, how, r.sense);
  return true;
}

std::vector<std::uint8_t> Inquiry(bool evpd, std::uint8_t page, std::uint16_t length) {
  return {0x12, static_cast<std::uint8_t>(evpd ? 1 : 0), page, static_cast<std::uint8_t>(length >> 8),
          static_cast<std::uint8_t>(length), 0};
}

std::string Hex2(unsigned v) {
  char b[8];
  std::snprintf(b, sizeof(b), "%02x", v & 0xff);
  return b;
}

bool SenseProbes(Capture& c, const std::string& suffix) {
  const std::string sfx = suffix.empty() ? "" : "_" + suffix;
  bool ok = true;
  ok &= SaveSense(c, "sense_invalid_opcode" + sfx, "sense of opcode 0xc5 (not implemented)",
                  {0xc5, 0, 0, 0, 0, 0}, 0);
  ok &= SaveSense(c, "sense_inquiry_unsupported_vpd" + sfx,
                  "sense of INQUIRY EVPD=1 page 0xfe (not supported)", Inquiry(true, 0xfe, 255), 255);
  // READ(16) of one block at LBA 0xffffffff00000000 (beyond any capacity here).
  ok &= SaveSense(c, "sense_lba_out_of_range" + sfx, "sense of READ(16) at LBA 0xffffffff00000000",
                  {0x88, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0}, 512);
  return ok;
}

// Third-party copy: REPORT SUPPORTED OPERATION CODES, RECEIVE COPY OPERATING
// PARAMETERS and EXTENDED COPY (LID1) as far as the device supports them.
bool CopyProbes(Capture& c) {
  bool ok = true;
  const std::vector<std::uint8_t> rsoc = {0xa3, 0x0c, 0, 0, 0, 0, 0, 0, 0x20, 0, 0, 0};
  const Reply all = RunPastUnitAttention(c, rsoc, 8192);
  if (all.transport_ok && all.status == 0) {
    ok &= SaveData(c, "report_supported_opcodes",
                   "REPORT SUPPORTED OPERATION CODES, reporting options 0 (all), allocation length 8192", rsoc,
                   8192, Be32Length);
    ok &= SaveData(c, "report_supported_opcode_83_00",
                   "REPORT SUPPORTED OPERATION CODES, reporting options 2, opcode 0x83 service action 0x00",
                   {0xa3, 0x0c, 0x02, 0x83, 0, 0, 0, 0, 0x01, 0, 0, 0}, 256);
  } else {
    ok &= SaveSense(c, "sense_report_supported_opcodes",
                    "sense of REPORT SUPPORTED OPERATION CODES (not supported)",
                    {0xa3, 0x0c, 0, 0, 0, 0, 0, 0, 0x20, 0, 0, 0}, 8192);
  }
  const std::vector<std::uint8_t> rcop = {0x84, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x04, 0, 0, 0};
  const Reply params = RunPastUnitAttention(c, rcop, 1024);
  if (!(params.transport_ok && params.status == 0 && Be32Length(params.data) != 0)) {
    // No copy manager: EXTENDED COPY itself must be refused.
    return ok && SaveSense(c, "sense_extended_copy",
                           "sense of EXTENDED COPY (LID1), parameter list length 0",
                           {0x83, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0);
  }
  ok &= SaveData(c, "receive_copy_operating_parameters",
                 "RECEIVE COPY RESULTS service action 0x03 (operating parameters), allocation length 1024",
                 rcop, 1024, Be32Length);
  // An EXTENDED COPY naming a LUN that does not exist (NAA 6 all 0x6e..):
  // header (list id usage 11b), two identification CSCD descriptors, one
  // block-to-block segment of one block.
  std::vector<std::uint8_t> list(16 + 32 + 32 + 28, 0);
  list[1] = 0x18;
  list[3] = 64;
  list[11] = 28;
  for (int d = 0; d < 2; ++d) {
    std::uint8_t* p = list.data() + 16 + 32 * d;
    p[0] = 0xe4;
    p[4] = 0x01;
    p[5] = 0x03;
    p[7] = 16;
    p[8] = 0x60;
    for (int i = 9; i < 24; ++i) p[i] = static_cast<std::uint8_t>(0x6e + d);
    p[30] = 0x02;  // disk block length 512
  }
  std::uint8_t* seg = list.data() + 16 + 64;
  seg[0] = 0x02;
  seg[3] = 0x18;
  seg[7] = 1;
  seg[11] = 1;
  std::vector<std::uint8_t> cdb(16, 0);
  cdb[0] = 0x83;
  cdb[13] = static_cast<std::uint8_t>(list.size());
  const Reply r = RunPastUnitAttention(c, cdb, 0, list);
  if (!r.transport_ok || r.status != 0x02 || r.sense.empty()) {
    std::fprintf(stderr, "%s: EXTENDED COPY to unknown LUNs: expected CHECK CONDITION\n", c.device.c_str());
    return false;
  }
  Emit(c, "sense_extended_copy_unknown_lun",
       "sense of EXTENDED COPY (LID1) whose CSCD descriptors name NAA 6 designators of no LUN", r.sense);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s /dev/sgN DEVICE \"SOURCE\" [--sense-suffix S]\n", argv[0]);
    return 2;
  }
  Capture c;
  c.device = argv[2];
  c.source = argv[3];
  std::string sense_suffix;
  bool sense_only = false;
  if (argc >= 6 && std::strcmp(argv[4], "--sense-suffix") == 0) {
    sense_only = true;
    sense_suffix = argv[5];
  }
  utsname u{};
  c.kernel = uname(&u) == 0 ? u.release : "unknown";
  c.fd = open(argv[1], O_RDWR | O_NONBLOCK);
  if (c.fd < 0) {
    std::perror(argv[1]);
    return 1;
  }
  bool ok = true;
  if (sense_only) {
    ok = SenseProbes(c, sense_suffix);
  } else {
    ok &= SaveData(c, "inquiry", "INQUIRY (standard), allocation length 255", Inquiry(false, 0, 255), 255,
                   InquiryLength);
    Reply pages = RunPastUnitAttention(c, Inquiry(true, 0x00, 255), 255);
    if (VpdLength(pages.data) != 0 && VpdLength(pages.data) < pages.data.size()) {
      pages.data.resize(VpdLength(pages.data));
    }
    if (!pages.transport_ok || pages.status != 0 || pages.data.size() < 4) {
      std::fprintf(stderr, "%s: VPD 0x00 failed\n", c.device.c_str());
      ok = false;
    } else {
      Emit(c, "vpd00", "INQUIRY EVPD=1 page 0x00, allocation length 255", pages.data);
      for (std::size_t i = 4; i < pages.data.size(); ++i) {
        const unsigned page = pages.data[i];
        if (page == 0) continue;
        ok &= SaveData(c, "vpd" + Hex2(page),
                       "INQUIRY EVPD=1 page 0x" + Hex2(page) + ", allocation length 4096",
                       Inquiry(true, static_cast<std::uint8_t>(page), 4096), 4096, VpdLength);
      }
    }
    ok &= SaveData(c, "readcap16", "READ CAPACITY(16), allocation length 32",
                   {0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0}, 32);
    ok &= SaveData(c, "readcap10", "READ CAPACITY(10)", {0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 8);
    ok &= SaveData(c, "report_luns", "REPORT LUNS, select report 0, allocation length 4096",
                   {0xa0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0}, 4096);
    ok &= SenseProbes(c, "");
    ok &= CopyProbes(c);
  }
  close(c.fd);
  std::fprintf(stderr, "%s: %d files\n", c.device.c_str(), c.written);
  return ok ? 0 : 1;
}
