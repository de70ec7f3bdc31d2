"""The DRAM-PIM device model of :mod:`sim.pim.device` in C++, compiled into the PIM harness
(:mod:`sim.pim.harness`) and called through DPI-C once a cycle. Kept as text here, as
``sim.stream_harness`` keeps its C++, so that an installed package carries it."""

from __future__ import annotations

#: The C++ source (``device_model.cpp`` in a build folder).
DEVICE_CPP = r"""
// hwdse (sim/pim/device_model.py): the DRAM-PIM device model of sim/pim/device.py in C++,
// reached through DPI-C from the PIM harness (sim/pim/harness.py). Same rules, checked in
// the same order, with the same messages; the MAC data path and the read-data return queue
// as there. One call per clock cycle steps every channel, collects the controller's results
// and gives back the read data due on the next cycle.
//
// A job file (job-<n>.pim, written by sim.pim.job_files.write_job) holds little-endian
// int64: a header of kHeaderWords (in write_job's order), x, then per channel the stored
// columns of W. The outcome goes to job-<n>.pim.out (read by sim.pim.job_files.read_outcome).
#include <cstdint>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "Vtop__Dpi.h"

namespace {

const uint64_t kJobMagic = 0x4d4944504f4a5748ULL;     // "HWJOPDIM"
const uint64_t kOutcomeMagic = 0x54554f4d49505748ULL; // "HWPIMOUT"
const int64_t kNever = -1000000000LL;
const int64_t kMaxRefreshGap = 9;  // x tREFI
const int kHeaderWords = 51;
const char* const kKinds[] = {"NOP", "ACT", "PRE", "MAC", "RD", "RDRES", "REF"};
enum Kind { NOP = 0, ACT = 1, PRE = 2, MAC = 3, RD = 4, RDRES = 5, REF = 6 };

struct Field {
    int64_t offset = 0, width = 0;
};

struct Timing {
    int64_t rcd, rp, ras, ccd, rrd, faw, rtp, cl, refi, rfc;
};

struct Job {
    int64_t channels, banks, rows, columns, lanes, chunks, element_width, acc_width, host;
    Timing t;
    int64_t max_cycles, results_expected, job_word;
    int64_t cmd_width, rdata_width, result_width;
    Field kind, all, bank, row, col, last;   // cmd
    Field rdata_valid, rdata_data;           // rdata
    Field result_valid, result_tag, result_chunk, result_data;  // results
    std::vector<int64_t> x;
};

struct Command {
    int kind;
    bool all;
    int64_t bank, row, col;
    bool last;
};

struct Violation {
    std::string message;
};

struct Bank {
    bool open = false;
    int64_t open_row = 0;
    int64_t act = kNever, pre = kNever, col = kNever;
    uint64_t acc = 0;  // modulo 2^64: the returned sum keeps acc_width <= 64 bits
    bool latched = false;
    uint64_t latched_sum = 0;
};

struct Return {
    int64_t cycle;
    std::vector<uint32_t> data;
};

std::string S(int64_t value) { return std::to_string(value); }

// A rule of the command `c` at cycle `now`; its message is built only when it is broken.
#define NEED(ok, rule)                         \
    do {                                       \
        if (!(ok)) fail(now, c, (rule));       \
    } while (0)

// `count` (<= 32) bits of a little-endian word array from bit `at`.
inline uint32_t get_bits(const uint32_t* words, int64_t at, int64_t count) {
    int64_t word = at >> 5, shift = at & 31;
    uint64_t value = (uint64_t)words[word] >> shift;
    if (shift + count > 32) value |= (uint64_t)words[word + 1] << (32 - shift);
    return count >= 32 ? (uint32_t)value : (uint32_t)(value & ((1ULL << count) - 1));
}

// ORs the low `count` (<= 32) bits of `value` into a word array at bit `at`.
inline void put_bits(uint32_t* words, int64_t at, int64_t count, uint32_t value) {
    uint64_t bits = count >= 32 ? value : (value & ((1ULL << count) - 1));
    int64_t word = at >> 5, shift = at & 31;
    words[word] |= (uint32_t)(bits << shift);
    if (shift + count > 32) words[word + 1] |= (uint32_t)(bits >> (32 - shift));
}

inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

uint64_t field(const uint32_t* words, int64_t base, const Field& f) {
    int64_t width = min64(f.width, 64), at = base + f.offset;
    uint64_t value = get_bits(words, at, min64(width, 32));
    if (width > 32) value |= (uint64_t)get_bits(words, at + 32, width - 32) << 32;
    return value;
}

std::vector<uint32_t> field_words(const uint32_t* words, int64_t base, const Field& f) {
    std::vector<uint32_t> out((f.width + 31) / 32, 0);
    for (int64_t i = 0; i < (int64_t)out.size(); ++i)
        out[i] = get_bits(words, base + f.offset + 32 * i, min64(32, f.width - 32 * i));
    return out;
}

class Channel {
  public:
    int64_t counts[7] = {0};
    int64_t bank_ops[7] = {0};
    bool bank_ops_seen[7] = {false};

    Channel(int64_t index, const Job& job) : index_(index), job_(job), t_(job.t) {
        banks_.resize(job.banks);
    }

    void store(int64_t bank, int64_t row, int64_t col, const int64_t* lanes) {
        memory_[key(bank, row, col)] = values_.size();  // a repeated address: the last wins
        values_.insert(values_.end(), lanes, lanes + job_.lanes);
    }

    // The word due on the data bus at cycle `now`, if any.
    const std::vector<uint32_t>* data_due(int64_t now) {
        while (!returns_.empty() && returns_.front().cycle < now) returns_.pop_front();
        if (returns_.empty() || returns_.front().cycle != now) return nullptr;
        due_ = std::move(returns_.front().data);
        returns_.pop_front();
        return &due_;
    }

    void step(int64_t now, const Command& c) {
        int64_t gap = now - refreshed_, limit = kMaxRefreshGap * t_.refi;
        NEED(gap <= limit,
             "no REF for " + S(gap) + " cycles (over 9 x tREFI = " + S(limit) + ")");
        if (c.kind != NOP) execute(now, c);
    }

  private:
    int64_t index_;
    const Job& job_;
    Timing t_;
    std::vector<Bank> banks_;
    std::unordered_map<uint64_t, size_t> memory_;
    std::vector<int64_t> values_;
    int64_t last_act_ = kNever, last_col_ = kNever, last_ref_ = kNever, refreshed_ = 0;
    std::deque<int64_t> acts_;  // the last four ACTs
    std::deque<Return> returns_;
    std::vector<uint32_t> due_;

    uint64_t key(int64_t bank, int64_t row, int64_t col) const {
        return ((uint64_t)bank << 48) ^ ((uint64_t)row << 20) ^ (uint64_t)col;
    }

    [[noreturn]] void fail(int64_t now, const Command& c, const std::string& rule) const {
        std::string where = c.all ? std::string("all banks") : "bank " + S(c.bank);
        throw Violation{"cycle " + S(now) + ", channel " + S(index_) + ", " + kKinds[c.kind] +
                        " to " + where + ": " + rule};
    }


    void give_back(int64_t cycle, std::vector<uint32_t> data) {
        if (!returns_.empty() && returns_.back().cycle == cycle)
            returns_.back().data = std::move(data);  // as a dict keyed by cycle
        else
            returns_.push_back(Return{cycle, std::move(data)});
    }

    std::string tccd(int64_t now) const {
        return "tCCD: " + S(now - last_col_) + " < " + S(t_.ccd) +
               " cycles since the last column command";
    }

    void execute(int64_t now, const Command& c) {
        if (c.kind < ACT || c.kind > REF)
            throw Violation{"cycle " + S(now) + ", channel " + S(index_) +
                            ": unknown command kind " + S(c.kind)};
        counts[c.kind] += 1;
        std::vector<int64_t> targets;
        if (c.all || c.kind == REF) {
            for (int64_t b = 0; b < job_.banks; ++b) targets.push_back(b);
        } else {
            if (c.bank < 0 || c.bank >= job_.banks)
                throw Violation{"channel " + S(index_) + ": bank " + S(c.bank) +
                                " does not exist"};
            targets.push_back(c.bank);
        }
        bank_ops[c.kind] += (int64_t)targets.size();
        bank_ops_seen[c.kind] = true;
        switch (c.kind) {
            case ACT: {
                NEED(0 <= c.row && c.row < job_.rows,
                     "row " + S(c.row) + " out of range");
                NEED(now - last_act_ >= t_.rrd,
                     "tRRD: " + S(now - last_act_) + " < " + S(t_.rrd) +
                         " cycles since the last ACT");
                int window = 0;
                for (int64_t a : acts_)
                    if (now - a < t_.faw) ++window;
                NEED(window < 4, "tFAW: a fifth ACT within " + S(t_.faw) + " cycles");
                for (int64_t b : targets) {
                    Bank& bank = banks_[b];
                    NEED(!bank.open, "bank " + S(b) + " is open");
                    NEED(now - bank.pre >= t_.rp,
                         "tRP: " + S(now - bank.pre) + " < " + S(t_.rp) +
                             " cycles since PRE of bank " + S(b));
                    NEED(now - last_ref_ >= t_.rfc,
                         "tRFC: " + S(now - last_ref_) + " < " + S(t_.rfc) +
                             " cycles since REF");
                    bank.open = true;
                    bank.open_row = c.row;
                    bank.act = now;
                }
                last_act_ = now;
                acts_.push_back(now);
                if (acts_.size() > 4) acts_.pop_front();
                break;
            }
            case MAC:
            case RD: {
                NEED(now - last_col_ >= t_.ccd, tccd(now));
                NEED(0 <= c.col && c.col < job_.columns,
                     "column " + S(c.col) + " out of range");
                for (int64_t b : targets) {
                    Bank& bank = banks_[b];
                    NEED(bank.open, "bank " + S(b) + " is closed");
                    NEED(now - bank.act >= t_.rcd,
                         "tRCD: " + S(now - bank.act) + " < " + S(t_.rcd) +
                             " cycles since ACT of bank " + S(b));
                    auto found = memory_.find(key(b, bank.open_row, c.col));
                    const int64_t* words =
                        found == memory_.end() ? nullptr : &values_[found->second];
                    bank.col = now;
                    if (c.kind == RD) {
                        give_back(now + t_.cl, pack(words));
                        continue;
                    }
                    int64_t chunk = (bank.open_row * job_.columns + c.col) % job_.chunks;
                    int64_t first = chunk * job_.lanes;
                    uint64_t sum = 0;
                    if (words)
                        for (int64_t i = 0; i < job_.lanes && first + i < (int64_t)job_.x.size();
                             ++i)
                            sum += (uint64_t)words[i] * (uint64_t)job_.x[first + i];
                    bank.acc += sum;
                    if (c.last) {
                        NEED(!bank.latched,
                             "bank " + S(b) + "'s previous sum was never read (RDRES)");
                        bank.latched = true;
                        bank.latched_sum = bank.acc;
                        bank.acc = 0;
                    }
                }
                last_col_ = now;
                break;
            }
            case RDRES: {
                NEED(now - last_col_ >= t_.ccd, tccd(now));
                if (targets.size() != 1)  // the Python model cannot unpack this either
                    fail(now, c, "RDRES reads one bank");
                int64_t b = targets[0];
                Bank& bank = banks_[b];
                NEED(bank.latched, "bank " + S(b) + " holds no sum to read");
                uint64_t sum = bank.latched_sum;
                if (job_.acc_width < 64) sum &= (1ULL << job_.acc_width) - 1;
                give_back(now + t_.cl, {(uint32_t)sum, (uint32_t)(sum >> 32)});
                bank.latched = false;
                last_col_ = now;
                break;
            }
            case PRE: {
                for (int64_t b : targets) {
                    Bank& bank = banks_[b];
                    NEED(bank.open, "bank " + S(b) + " is already closed");
                    NEED(now - bank.act >= t_.ras,
                         "tRAS: " + S(now - bank.act) + " < " + S(t_.ras) +
                             " cycles since ACT of bank " + S(b));
                    NEED(now - bank.col >= t_.rtp,
                         "tRTP: " + S(now - bank.col) + " < " + S(t_.rtp) +
                             " cycles since the last read of bank " + S(b));
                    bank.open = false;
                    bank.pre = now;
                }
                break;
            }
            case REF: {
                NEED(now - last_ref_ >= t_.rfc,
                     "tRFC: " + S(now - last_ref_) + " < " + S(t_.rfc) + " cycles since REF");
                for (int64_t b = 0; b < job_.banks; ++b) {
                    const Bank& bank = banks_[b];
                    NEED(!bank.open, "bank " + S(b) + " is open");
                    NEED(now - bank.pre >= t_.rp,
                         "tRP: " + S(now - bank.pre) + " < " + S(t_.rp) +
                             " cycles since PRE of bank " + S(b));
                }
                last_ref_ = refreshed_ = now;
                break;
            }
        }
    }

    // A column's lanes, element_width bits each (RD without PIM).
    std::vector<uint32_t> pack(const int64_t* words) const {
        int64_t width = job_.element_width;
        std::vector<uint32_t> out((job_.lanes * width + 31) / 32, 0);
        if (!words) return out;
        for (int64_t i = 0; i < job_.lanes; ++i)  // width <= 16
            put_bits(out.data(), i * width, width, (uint32_t)(uint64_t)words[i]);
        return out;
    }
};

int64_t clock_ns() {
    timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec;
}

// With HWDSE_PIM_PROFILE set, the seconds spent in the model (for bench/pim_sim.py).
struct Profile {
    int64_t* total;
    int64_t start;
    explicit Profile(int64_t* into) : total(into), start(into ? clock_ns() : 0) {}
    ~Profile() {
        if (total) *total += clock_ns() - start;
    }
};

struct Run {
    int number = 0;
    bool profile = false;
    int64_t device_ns = 0, load_ns = 0;
    Job job;
    std::vector<Channel> channels;
    int64_t now = 0, start = -1, last_result = -1, remaining = 0;
    std::string error;
    std::unordered_map<uint64_t, size_t> seen;  // result key -> index
    std::vector<int64_t> keys;                  // tag, chunk per result
    std::vector<uint32_t> data;                 // result data, data_words per result
    int64_t data_words = 1;
};

Run* run = nullptr;

std::string job_path(int job, const char* suffix) {
    const char* folder = std::getenv("HWDSE_SIM_JOBS");
    return std::string(folder ? folder : ".") + "/job-" + std::to_string(job) + suffix;
}

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "hwdse PIM harness: %s\n", what.c_str());
    std::fflush(stderr);
    std::exit(3);
}

Field field_at(const int64_t* h, int at) { return Field{h[at], h[at + 1]}; }

}  // namespace

extern "C" void hwdse_pim_begin(int number, long long* job_word) {
    int64_t started = clock_ns();
    std::string path = job_path(number, ".pim");
    FILE* file = std::fopen(path.c_str(), "rb");
    if (!file) die("cannot open " + path);
    std::fseek(file, 0, SEEK_END);
    long size = std::ftell(file);
    std::fseek(file, 0, SEEK_SET);
    std::vector<int64_t> words(size / 8);
    if (size % 8 || std::fread(words.data(), 8, words.size(), file) != words.size())
        die(path + " is truncated");
    std::fclose(file);
    if (words.size() < (size_t)kHeaderWords || (uint64_t)words[0] != kJobMagic)
        die(path + " is not a PIM job file");
    const int64_t* h = words.data();
    delete run;
    run = new Run();
    run->number = number;
    Job& j = run->job;
    j.channels = h[1], j.banks = h[2], j.rows = h[3], j.columns = h[4], j.lanes = h[5];
    j.chunks = h[6], j.element_width = h[7], j.acc_width = h[8], j.host = h[9];
    j.t = Timing{h[10], h[11], h[12], h[13], h[14], h[15], h[16], h[17], h[18], h[19]};
    j.max_cycles = h[20], j.results_expected = h[21], j.job_word = h[22];
    j.cmd_width = h[23];
    j.kind = field_at(h, 24), j.all = field_at(h, 26), j.bank = field_at(h, 28);
    j.row = field_at(h, 30), j.col = field_at(h, 32), j.last = field_at(h, 34);
    j.rdata_width = h[36];
    j.rdata_valid = field_at(h, 37), j.rdata_data = field_at(h, 39);
    j.result_width = h[41];
    j.result_valid = field_at(h, 42), j.result_tag = field_at(h, 44);
    j.result_chunk = field_at(h, 46), j.result_data = field_at(h, 48);
    int64_t x_len = h[50];
    size_t at = kHeaderWords;
    if (at + x_len > words.size()) die(path + " is truncated");
    j.x.assign(h + at, h + at + x_len);
    at += x_len;
    run->channels.reserve(j.channels);
    for (int64_t ch = 0; ch < j.channels; ++ch) {
        run->channels.emplace_back(ch, run->job);
        if (at >= words.size()) die(path + " is truncated");
        int64_t entries = h[at++];
        int64_t stride = 3 + j.lanes;
        if (at + entries * stride > words.size()) die(path + " is truncated");
        for (int64_t e = 0; e < entries; ++e, at += stride)
            run->channels.back().store(h[at], h[at + 1], h[at + 2], h + at + 3);
    }
    run->remaining = j.results_expected;
    run->data_words = (j.result_data.width + 31) / 32;
    *job_word = (long long)j.job_word;
    run->profile = std::getenv("HWDSE_PIM_PROFILE") != nullptr;
    run->load_ns = run->profile ? clock_ns() - started : 0;
}

// One clock cycle of the job: the command and result buses as the controller drives them in
// cycle `now`, checked and collected as sim.pim.testbench does; `rdata` and `job_valid` are
// what the device and the host drive in the next cycle. Returns 1 when the job is over.
extern "C" int hwdse_pim_cycle(const svBitVecVal* cmd, const svBitVecVal* results,
                               svBit job_ready, svBitVecVal* rdata, svBit* job_valid) {
    Run& r = *run;
    const Job& j = r.job;
    Profile profile(r.profile ? &r.device_ns : nullptr);
    if (r.now > j.max_cycles) {
        r.error = "timeout: " + S(r.remaining) + " results missing after " + S(r.now) +
                  " cycles";
        return 1;
    }
    if (r.start < 0 && job_ready) r.start = r.now;
    try {
        for (int64_t ch = 0; ch < j.channels; ++ch) {
            int64_t base = ch * j.cmd_width;
            Command c{(int)field(cmd, base, j.kind), field(cmd, base, j.all) != 0,
                      (int64_t)field(cmd, base, j.bank), (int64_t)field(cmd, base, j.row),
                      (int64_t)field(cmd, base, j.col), field(cmd, base, j.last) != 0};
            r.channels[ch].step(r.now, c);
        }
    } catch (const Violation& violation) {
        r.error = violation.message;
        return 1;
    }
    for (int64_t ch = 0; ch < j.channels; ++ch) {
        int64_t base = ch * j.result_width;
        if (!field(results, base, j.result_valid)) continue;
        int64_t tag = (int64_t)field(results, base, j.result_tag);
        int64_t chunk = j.host ? (int64_t)field(results, base, j.result_chunk) : 0;
        uint64_t key = ((uint64_t)tag << 32) | (uint64_t)chunk;
        if (r.seen.count(key)) {
            r.error = "result " + (j.host ? "(" + S(tag) + ", " + S(chunk) + ")" : S(tag)) +
                      " returned twice";
            return 1;
        }
        r.seen[key] = r.keys.size() / 2;
        r.keys.push_back(tag);
        r.keys.push_back(chunk);
        std::vector<uint32_t> value = field_words(results, base, j.result_data);
        r.data.insert(r.data.end(), value.begin(), value.end());
        r.remaining -= 1;
        r.last_result = r.now;
    }
    if (r.remaining <= 0) return 1;
    r.now += 1;
    std::memset(rdata, 0, 4 * (size_t)((j.channels * j.rdata_width + 31) / 32));
    for (int64_t ch = 0; ch < j.channels; ++ch) {
        const std::vector<uint32_t>* due = r.channels[ch].data_due(r.now);
        if (!due) continue;
        int64_t base = ch * j.rdata_width;
        put_bits(rdata, base + j.rdata_valid.offset, 1, 1);
        int64_t width = min64(j.rdata_data.width, 32 * (int64_t)due->size());
        for (int64_t i = 0; i < width; i += 32) {
            int64_t count = min64(32, width - i);
            put_bits(rdata, base + j.rdata_data.offset + i, count,
                     get_bits(due->data(), i, count));
        }
    }
    *job_valid = r.start < 0;
    return 0;
}

extern "C" void hwdse_pim_finish() {
    Run& r = *run;
    std::string path = job_path(r.number, ".pim.out");
    std::string staging = path + ".part";
    FILE* file = std::fopen(staging.c_str(), "wb");
    if (!file) die("cannot write " + staging);
    std::vector<int64_t> header = {(int64_t)kOutcomeMagic, r.now, r.start, r.last_result,
                                   (int64_t)(r.keys.size() / 2), r.data_words,
                                   (int64_t)r.error.size(), r.device_ns, r.load_ns};
    for (int kind = 0; kind < 7; ++kind) {
        int64_t count = 0, ops = 0, seen = 0;
        for (const Channel& ch : r.channels) {
            count += ch.counts[kind];
            ops += ch.bank_ops[kind];
            seen |= ch.bank_ops_seen[kind];
        }
        header.push_back(count);
        header.push_back(ops);
        header.push_back(seen);
    }
    std::fwrite(header.data(), 8, header.size(), file);
    std::fwrite(r.keys.data(), 8, r.keys.size(), file);
    std::fwrite(r.data.data(), 4, r.data.size(), file);
    std::fwrite(r.error.data(), 1, r.error.size(), file);
    if (std::fclose(file) != 0 || std::rename(staging.c_str(), path.c_str()) != 0)
        die("cannot write " + path);
    delete run;
    run = nullptr;
}
"""
