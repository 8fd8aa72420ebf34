// lifeline-logger: the per-service log writer (design.md, "Pitfalls": lossless rotation).
//
//   lifeline-logger --out FILE [--err FILE] [--index FILE] --max-size BYTES --backups N
//                   [--compress gzip] [--status-fd FD]
//
// A service writes into pipes owned by this tiny process rather than into pipes read by Lifeline,
// like daemontools' multilog and runit's svlogd: the service never gets SIGPIPE when Lifeline
// quits or crashes, and the files rotate without losing a byte while the service keeps writing
// (copy-and-truncate would lose what is written between the copy and the truncate).
//
// fd 0 goes to --out, fd 3 (when --err is given) to --err. Before a write would take a file past
// --max-size, FILE.(N-1) -> FILE.N ... FILE -> FILE.1 and FILE is reopened (N = 0: FILE is
// truncated). Chunks are split at the last newline that fits, so lines are not torn across files;
// a line cut by the pipe is finished in the current file first (a file may exceed max-size by
// that line's tail), and a line longer than max-size is written whole. Every byte read is written
// exactly once.
//
// --compress gzip: each rotated FILE.1 becomes FILE.1.gz (backups shift as FILE.N.gz). A child
// process compresses, so reading the pipes never waits for zlib; only a rotation that comes while
// the previous backup is still being compressed waits for that child (the names must not move
// under it). The child writes FILE.N.gz.tmp, syncs it, renames it to FILE.N.gz and only then
// unlinks FILE.N: a crash at any point leaves the plain backup or a complete .gz (a start removes
// a stale .tmp, and the plain twin of a complete .gz). A failure (a full disk) keeps the plain
// backup and says so on stderr. The gzip header's comment holds "lifeline-inode=INODE", the plain
// file's inode, which is how the order index below names the file; its mtime is kept too.
//
// --index FILE (with a separate --err) records the order in which the two streams arrived, so a
// reader can show stdout and stderr merged as they were written while both files stay byte for
// byte what the service wrote. It is text, one record per run of one stream:
//   "o|e INODE END\n"   the bytes of that stream's file INODE up to offset END arrived before
//                       anything in a later record
// A run is written when the other stream sends something, when the file rotates (a new INODE),
// and at most kIndexFlushMs after it began, so a one-stream flood costs a few records a second and
// no syscall per line. The order is the logger's arrival order: what the service wrote to its two
// pipes within one poll round (or with one pipe full) may arrive the other way round; nothing
// finer can be known from two pipes. The index rotates on its own (FILE -> FILE.1, one backup) at
// kIndexMaxBytes, not with the logs, since it holds records for both of them. A record it cannot
// write (a full disk) is lost, never retried: a reader then shows those lines a moment later, not
// lost and not out of the files.
//
// TERM, INT, HUP, PIPE and XFSZ are ignored: the logger drains its inputs until EOF, so the signal sent
// to the service's process group does not lose the service's last words. Exit 0 when every input
// reached EOF, 1 when a file cannot be opened at start (with the file name), 64 on a usage error.
//
// A write that fails later (a full disk, a quota, an I/O error) never ends the logger: if it
// exited, the service would block on a full pipe or die of SIGPIPE, so a full disk would take the
// service down with it. It keeps draining its inputs and counts the lines it has to drop, tries
// again at most once a second, and when a write succeeds it first writes
// "[lifeline: N lines dropped: no space left on device]". Its own error file is on the same full
// disk, so it tells Lifeline through --status-fd: a pipe it inherits, written without blocking in
// records of one line (atomic below PIPE_BUF):
//   "drop out|err N ERRNO\n"    N more lines dropped (sent on the first drop, then once a second)
//   "resume out|err TOTAL\n"    writing again; TOTAL lines were dropped since the failure
// A full status pipe holds a record back until the next try; a closed one (Lifeline has quit:
// the logger outlives it) is closed here and reporting stops, EPIPE and SIGPIPE are harmless.
//
// No Qt on purpose: it is small, starts fast and outlives Lifeline like the service does.

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

namespace lifeline::logger {
namespace {

constexpr size_t kReadBuffer = 64 * 1024;
constexpr int kErrFd = 3;
constexpr long long kRetryMs = 1000; // between two tries to write after a failure, and two reports
constexpr long long kIndexFlushMs = 100;
constexpr unsigned long long kIndexMaxBytes = 256 * 1024;

long long monotonicMs()
{
    timespec ts = {};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<long long>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

/// The non-blocking line-record pipe to Lifeline (--status-fd); absent when not given.
class StatusChannel
{
public:
    void open(int fd)
    {
        if (::fcntl(fd, F_GETFD) < 0)
            return; // not inherited: nobody to tell (an adopted service's old logger, a test)
        const int flags = ::fcntl(fd, F_GETFL);
        ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        m_fd = fd;
    }

    /// True when the record went out (or there is nobody to send it to); false: try again later.
    bool send(const std::string &record)
    {
        if (m_fd < 0)
            return true;
        for (;;) {
            const ssize_t n = ::write(m_fd, record.data(), record.size());
            if (n == static_cast<ssize_t>(record.size()))
                return true;
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && errno == EAGAIN)
                return false;
            // EPIPE: Lifeline has gone (the logger outlives it); anything else: the same to us.
            ::close(m_fd);
            m_fd = -1;
            return true;
        }
    }

private:
    int m_fd = -1;
};

[[noreturn]] void fail(const std::string &what, const std::string &file, int error)
{
    std::fprintf(stderr, "lifeline-logger: %s %s: %s\n", what.c_str(), file.c_str(), std::strerror(error));
    std::exit(1);
}

[[noreturn]] void usage(const std::string &message)
{
    std::fprintf(stderr,
                 "lifeline-logger: %s\n"
                 "usage: lifeline-logger --out FILE [--err FILE] [--index FILE] --max-size BYTES "
                 "--backups N [--compress gzip] [--status-fd FD]\n"
                 "  reads fd 0 into --out and fd 3 into --err until EOF, rotating at max-size;\n"
                 "  --compress gzip: rotated backups become FILE.N.gz;\n"
                 "  records the order of the two streams in --index;\n"
                 "  reports dropped lines (a full disk) as records on FD\n",
                 message.c_str());
    std::exit(64); // EX_USAGE
}

bool parseNumber(const std::string &text, unsigned long long *value)
{
    const char *end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, *value);
    return ec == std::errc() && ptr == end && !text.empty();
}

/// The --index file: runs of one stream, in arrival order (see the top of this file).
class OrderIndex
{
public:
    /// Opened after the out file's lock is held: one logger at a time appends here. A file that
    /// cannot be opened costs the merged view its order, never the logs: a warning, no exit.
    void open(const std::string &path)
    {
        m_path = path;
        if (!reopen())
            std::fprintf(stderr, "lifeline-logger: cannot open %s: %s; logs are kept without their order\n",
                         path.c_str(), std::strerror(errno));
    }

    /// The stream's file `inode` now ends at `end`. Extends the current run or starts a new one.
    void note(char stream, unsigned long long inode, unsigned long long end, long long nowMs)
    {
        if (m_pending && (m_stream != stream || m_inode != inode))
            flush();
        if (!m_pending) {
            m_pending = true;
            m_stream = stream;
            m_inode = inode;
            m_sinceMs = nowMs;
        }
        m_end = end;
    }

    /// Milliseconds until the pending run is due, or -1 when there is none.
    long long dueInMs(long long nowMs) const
    {
        return m_pending ? std::max(0LL, m_sinceMs + kIndexFlushMs - nowMs) : -1;
    }

    void flush()
    {
        if (!m_pending)
            return;
        m_pending = false;
        char record[80];
        const int prefix = m_torn ? 1 : 0; // a torn record ends without a newline: finish it
        record[0] = '\n';
        const int length =
            std::snprintf(record + prefix, sizeof(record) - 1, "%c %llu %llu\n", m_stream, m_inode, m_end) +
            prefix;
        if (m_size + static_cast<unsigned long long>(length) > kIndexMaxBytes)
            rotate();
        if (m_fd < 0 && !reopen())
            return;
        const ssize_t written = ::write(m_fd, record, static_cast<size_t>(length));
        if (written > 0) {
            m_size += static_cast<unsigned long long>(written);
            m_torn = written < length;
        }
    }

private:
    bool reopen()
    {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = ::open(m_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        struct stat info = {};
        if (m_fd < 0 || ::fstat(m_fd, &info) != 0)
            return false;
        m_size = static_cast<unsigned long long>(info.st_size);
        // A logger that died mid-write may have left a record without its newline.
        char last = '\n';
        m_torn = m_size > 0 && ::pread(m_fd, &last, 1, static_cast<off_t>(m_size - 1)) == 1 && last != '\n';
        return true;
    }

    void rotate()
    {
        const std::string backup = m_path + ".1";
        if (::rename(m_path.c_str(), backup.c_str()) == 0)
            reopen();
    }

    std::string m_path;
    int m_fd = -1;
    unsigned long long m_size = 0;
    bool m_torn = false; ///< the last record written did not end with a newline
    bool m_pending = false;
    char m_stream = 'o';
    unsigned long long m_inode = 0;
    unsigned long long m_end = 0;
    long long m_sinceMs = 0;
};

std::string backupName(const std::string &path, unsigned n, const char *suffix = "")
{
    return path + '.' + std::to_string(n) + suffix;
}

bool writeAll(int fd, const unsigned char *data, size_t length)
{
    while (length > 0) {
        const ssize_t n = ::write(fd, data, length);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data += n;
        length -= static_cast<size_t>(n);
    }
    return true;
}

/// FILE.N -> FILE.N.gz (see the top of this file). False, with the plain file kept, on any error.
bool compressBackup(const std::string &plain)
{
    const int in = ::open(plain.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat info = {};
    if (in < 0 || ::fstat(in, &info) != 0)
        return errno == ENOENT; // removed meanwhile (retention): nothing to keep
    const std::string gz = plain + ".gz";
    const std::string tmp = gz + ".tmp";
    const int out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int error = out < 0 ? errno : 0;

    z_stream zs = {};
    gz_header header = {};
    std::string comment = "lifeline-inode=" + std::to_string(info.st_ino);
    header.comment = reinterpret_cast<Bytef *>(comment.data());
    header.time = static_cast<uLong>(info.st_mtime);
    header.os = 3; // Unix
    if (error == 0 && (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK ||
                       deflateSetHeader(&zs, &header) != Z_OK))
        error = ENOMEM;
    std::vector<unsigned char> input(256 * 1024);
    std::vector<unsigned char> output(256 * 1024);
    for (int flush = Z_NO_FLUSH; error == 0 && flush != Z_FINISH;) {
        const ssize_t got = ::read(in, input.data(), input.size());
        if (got < 0) {
            if (errno != EINTR)
                error = errno;
            continue;
        }
        flush = got == 0 ? Z_FINISH : Z_NO_FLUSH;
        zs.next_in = input.data();
        zs.avail_in = static_cast<uInt>(got);
        do {
            zs.next_out = output.data();
            zs.avail_out = static_cast<uInt>(output.size());
            deflate(&zs, flush);
            if (!writeAll(out, output.data(), output.size() - zs.avail_out)) {
                error = errno ? errno : EIO;
                break;
            }
        } while (zs.avail_out == 0);
    }
    deflateEnd(&zs);
    ::close(in);
    if (error == 0) {
        const timespec times[2] = {info.st_atim, info.st_mtim};
        ::futimens(out, times); // age-based retention and "oldest first" go by it; best effort
        if (::fsync(out) != 0)
            error = errno;
    }
    if (out >= 0 && ::close(out) != 0 && error == 0)
        error = errno;
    if (error == 0 && ::rename(tmp.c_str(), gz.c_str()) != 0)
        error = errno;
    if (error != 0) {
        ::unlink(tmp.c_str());
        std::fprintf(stderr, "lifeline-logger: cannot compress %s: %s; the backup is kept uncompressed\n",
                     plain.c_str(), std::strerror(error));
        return false;
    }
    // The rename must be on disk before the only other copy goes.
    const std::string::size_type slash = gz.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : gz.substr(0, slash + 1);
    if (const int dirFd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dirFd >= 0) {
        ::fsync(dirFd);
        ::close(dirFd);
    }
    ::unlink(plain.c_str());
    return true;
}

/// The child process that compresses one log's plain backups (see the top of this file).
class Compressor
{
public:
    /// Compresses every plain FILE.N (N <= backups) that has no .gz yet, in a child. The child
    /// keeps only stderr and `lockFd` (FILE.lock): a new logger for FILE waits until it is done.
    void start(const std::string &path, unsigned backups, int lockFd)
    {
        wait();
        const pid_t pid = ::fork();
        if (pid < 0) {
            std::fprintf(stderr, "lifeline-logger: cannot fork to compress %s.1: %s; kept uncompressed\n",
                         path.c_str(), std::strerror(errno));
            return;
        }
        if (pid > 0) {
            m_pid = pid;
            return;
        }
        // Not the pipes: the service must see EOF/EPIPE when the logger goes, not when we do.
        for (int fd = 0; fd < 1024; ++fd) {
            if (fd != STDERR_FILENO && fd != lockFd)
                ::close(fd);
        }
        bool ok = true;
        for (unsigned n = 1; n <= backups; ++n) {
            struct stat info = {};
            if (::stat(backupName(path, n).c_str(), &info) == 0)
                ok = compressBackup(backupName(path, n)) && ok;
        }
        ::_exit(ok ? 0 : 1);
    }

    /// Reaps a child that has finished, without waiting.
    void reap()
    {
        if (m_pid > 0 && ::waitpid(m_pid, nullptr, WNOHANG) != 0)
            m_pid = -1;
    }

    /// Waits for the child (the names it works on are about to move).
    void wait()
    {
        while (m_pid > 0 && ::waitpid(m_pid, nullptr, 0) < 0 && errno == EINTR) {
        }
        m_pid = -1;
    }

private:
    pid_t m_pid = -1;
};

/// One log file with its rotation state. Owns the "FILE.lock" flock for its whole life.
class LogFile
{
public:
    LogFile(std::string path, std::string stream, unsigned long long maxSize, unsigned backups, bool compress,
            StatusChannel *status)
        : m_path(std::move(path))
        , m_stream(std::move(stream))
        , m_maxSize(maxSize)
        , m_backups(backups)
        , m_compress(compress)
        , m_status(status)
    {}

    ~LogFile() { m_compressor.wait(); }

    /// Every write into this file is noted in `index` as stream `tag` ('o' or 'e').
    void recordOrderIn(OrderIndex *index, char tag)
    {
        m_index = index;
        m_tag = tag;
    }

    /// Blocks until no other logger holds FILE.lock, then opens FILE for appending.
    void open()
    {
        const std::string lockPath = m_path + ".lock";
        m_lockFd = ::open(lockPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (m_lockFd < 0)
            fail("cannot open lock file", lockPath, errno);
        while (::flock(m_lockFd, LOCK_EX) != 0) {
            if (errno != EINTR)
                fail("cannot lock", lockPath, errno);
        }
        if (!reopen())
            fail("cannot open", m_path, m_lastError);
        tidyBackups();
    }

    /// Reaps a finished compressor (called once per poll round).
    void reap() { m_compressor.reap(); }

    /// Appends data, rotating first whenever it would take the file past max-size. What cannot be
    /// written is dropped and counted; nothing here ends the process.
    void write(const char *data, size_t length)
    {
        if (m_dropError != 0 && !resume()) {
            drop(data, length);
            return;
        }
        while (length > 0) {
            size_t count = 0;
            if (m_size + length <= m_maxSize) {
                count = length;
            } else if (m_midLine) {
                // The previous chunk ended inside a line: finish that line here, then rotate.
                count = throughFirstNewline(data, length);
            } else if (const size_t room = m_size < m_maxSize ? m_maxSize - m_size : 0;
                       const size_t fit = throughLastNewline(data, std::min(room, length))) {
                count = fit;
                const size_t written = writeRaw(data, count);
                if (written < count || !rotate()) {
                    drop(data + written, length - written);
                    return;
                }
                data += count;
                length -= count;
                continue;
            } else if (m_size == 0) {
                // A line longer than max-size: written whole, into a file of its own.
                count = throughFirstNewline(data, length);
            } else {
                if (!rotate()) {
                    drop(data, length);
                    return;
                }
                continue;
            }
            const size_t written = writeRaw(data, count);
            if (written < count) {
                drop(data + written, length - written);
                return;
            }
            data += count;
            length -= count;
        }
    }

    /// Sends what Lifeline has not heard yet: new drops at most once a second, a resume at once.
    void report(long long nowMs)
    {
        if (m_unreported > 0 && nowMs >= m_nextReportMs) {
            if (m_status->send("drop " + m_stream + ' ' + std::to_string(m_unreported) + ' ' +
                               std::to_string(m_dropError ? m_dropError : m_lastError) + '\n')) {
                m_unreported = 0;
                m_nextReportMs = nowMs + kRetryMs;
            }
        }
        if (m_unreported == 0 && m_resumeTotal > 0) {
            if (m_status->send("resume " + m_stream + ' ' + std::to_string(m_resumeTotal) + '\n'))
                m_resumeTotal = 0;
        }
    }

    /// Something is waiting to be reported or retried: the poll must wake up for it.
    bool wantsTimer() const { return m_unreported > 0 || m_resumeTotal > 0; }

private:
    static size_t throughFirstNewline(const char *data, size_t length)
    {
        const void *newline = std::memchr(data, '\n', length);
        return newline ? static_cast<size_t>(static_cast<const char *>(newline) - data) + 1 : length;
    }

    static size_t throughLastNewline(const char *data, size_t length)
    {
        const void *newline = ::memrchr(data, '\n', length);
        return newline ? static_cast<size_t>(static_cast<const char *>(newline) - data) + 1 : 0;
    }

    /// Returns how many bytes were written: all of them, or fewer when the file refused more
    /// (errno is then in m_lastError).
    size_t writeRaw(const char *data, size_t length)
    {
        size_t done = 0;
        while (done < length) {
            const ssize_t written = m_fd < 0 ? -1 : ::write(m_fd, data + done, length - done);
            if (written < 0) {
                if (m_fd >= 0 && errno == EINTR)
                    continue;
                m_lastError = m_fd < 0 ? EBADF : errno;
                break;
            }
            done += static_cast<size_t>(written);
            m_size += static_cast<unsigned long long>(written);
        }
        if (done > 0) {
            m_midLine = data[done - 1] != '\n';
            if (m_index)
                m_index->note(m_tag, m_inode, m_size, monotonicMs());
        }
        return done;
    }

    bool reopen()
    {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = ::open(m_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        struct stat info = {};
        if (m_fd < 0 || ::fstat(m_fd, &info) != 0) {
            m_lastError = errno;
            return false;
        }
        m_size = static_cast<unsigned long long>(info.st_size);
        m_inode = static_cast<unsigned long long>(info.st_ino);
        // A file left by an earlier run may end inside a line; new output starts a new line anyway.
        m_midLine = false;
        return true;
    }

    /// What a crash mid-compression left (under the lock, so no compressor of ours runs): a stale
    /// .tmp, or a plain backup whose complete .gz is there. Plain backups left get compressed.
    void tidyBackups()
    {
        bool plainLeft = false;
        for (unsigned n = 1; n <= m_backups; ++n) {
            ::unlink(backupName(m_path, n, ".gz.tmp").c_str());
            struct stat info = {};
            const bool plain = ::stat(backupName(m_path, n).c_str(), &info) == 0;
            if (plain && ::stat(backupName(m_path, n, ".gz").c_str(), &info) == 0)
                ::unlink(backupName(m_path, n).c_str());
            else
                plainLeft = plainLeft || plain;
        }
        if (m_compress && plainLeft)
            m_compressor.start(m_path, m_backups, m_lockFd);
    }

    bool rotate()
    {
        if (m_backups == 0) {
            // Offsets restart in the same inode: no run may span the truncation.
            if (m_index)
                m_index->flush();
            if (::ftruncate(m_fd, 0) != 0) {
                m_lastError = errno;
                return false;
            }
            m_size = 0;
            m_midLine = false;
            return true;
        }
        m_compressor.wait();
        // The oldest goes in both forms: a plain FILE.N renamed onto it must not sit beside an
        // older FILE.N.gz.
        ::unlink(backupName(m_path, m_backups).c_str());
        ::unlink(backupName(m_path, m_backups, ".gz").c_str());
        for (unsigned i = m_backups; i > 1; --i) {
            for (const char *suffix : {"", ".gz"}) {
                const std::string from = backupName(m_path, i - 1, suffix);
                const std::string to = backupName(m_path, i, suffix);
                if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) {
                    m_lastError = errno;
                    return false;
                }
            }
        }
        if (::rename(m_path.c_str(), backupName(m_path, 1).c_str()) != 0) {
            m_lastError = errno;
            return false;
        }
        const bool reopened = reopen();
        if (m_compress)
            m_compressor.start(m_path, m_backups, m_lockFd);
        return reopened;
    }

    /// The rest of a chunk that could not be written: counted, never kept (the pipe must drain).
    void drop(const char *data, size_t length)
    {
        if (m_dropError == 0) {
            m_dropError = m_lastError;
            m_nextRetryMs = monotonicMs() + kRetryMs;
            // Most likely on the same full disk, but worth the try.
            std::fprintf(stderr, "lifeline-logger: cannot write %s: %s; dropping lines until it can\n",
                         m_path.c_str(), std::strerror(m_dropError));
        }
        if (length == 0)
            return;
        const auto newlines = static_cast<unsigned long long>(std::count(data, data + length, '\n'));
        m_dropped += newlines;
        m_unreported += newlines;
        m_dropEndsMidLine = data[length - 1] != '\n';
    }

    /// After a failure: at most once a second, writes the marker; true when it went in.
    bool resume()
    {
        const long long now = monotonicMs();
        if (now < m_nextRetryMs)
            return false;
        m_nextRetryMs = now + kRetryMs;
        if (m_fd < 0 && !reopen())
            return false;
        // The line the failure cut counts as dropped too.
        const unsigned long long lines = m_dropped + (m_dropEndsMidLine ? 1 : 0);
        std::string reason = std::strerror(m_dropError);
        if (!reason.empty())
            reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
        const std::string marker = std::string(m_midLine ? "\n" : "") +
                                   "[lifeline: " + std::to_string(lines) + " lines dropped: " + reason +
                                   "]\n";
        const size_t written = writeRaw(marker.data(), marker.size());
        if (written < marker.size())
            return false; // a torn marker ends without a newline: the next try starts a line
        if (m_dropEndsMidLine)
            ++m_unreported;
        m_resumeTotal = lines;
        m_dropped = 0;
        m_dropError = 0;
        m_dropEndsMidLine = false;
        m_nextReportMs = 0; // the last count and the resume go out now
        return true;
    }

    std::string m_path;
    std::string m_stream; ///< "out" or "err", in status records
    unsigned long long m_maxSize;
    unsigned m_backups;
    bool m_compress;
    StatusChannel *m_status;
    Compressor m_compressor;
    OrderIndex *m_index = nullptr;
    char m_tag = 'o';
    unsigned long long m_inode = 0;
    int m_fd = -1;
    int m_lockFd = -1;
    unsigned long long m_size = 0;
    bool m_midLine = false; ///< the last byte written was not a newline
    int m_lastError = 0;    ///< errno of the last failed write, rename or open
    // Dropping: m_dropError != 0 from the first failure until the marker is written.
    int m_dropError = 0;
    unsigned long long m_dropped = 0;     ///< newlines dropped since the failure
    bool m_dropEndsMidLine = false;       ///< the last dropped byte was not a newline
    unsigned long long m_unreported = 0;  ///< dropped lines Lifeline has not been told about
    unsigned long long m_resumeTotal = 0; ///< a resume record still to send
    long long m_nextRetryMs = 0;
    long long m_nextReportMs = 0;
};

struct Options
{
    std::string out;
    std::string err;
    std::string index;
    unsigned long long maxSize = 0;
    unsigned backups = 0;
    bool compress = false;
    int statusFd = -1;
};

Options parseOptions(int argc, char **argv)
{
    Options options;
    bool haveMax = false;
    bool haveBackups = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view flag = argv[i];
        if (i + 1 >= argc)
            usage("missing value for " + std::string(flag));
        const std::string value = argv[++i];
        unsigned long long number = 0;
        if (flag == "--out") {
            options.out = value;
        } else if (flag == "--err") {
            options.err = value;
        } else if (flag == "--index") {
            options.index = value;
        } else if (flag == "--max-size") {
            if (!parseNumber(value, &number) || number == 0)
                usage("invalid --max-size '" + value + "' (bytes, > 0)");
            options.maxSize = number;
            haveMax = true;
        } else if (flag == "--backups") {
            if (!parseNumber(value, &number) || number > 100000)
                usage("invalid --backups '" + value + "'");
            options.backups = static_cast<unsigned>(number);
            haveBackups = true;
        } else if (flag == "--compress") {
            if (value != "gzip" && value != "none")
                usage("invalid --compress '" + value + "' (gzip or none)");
            options.compress = value == "gzip";
        } else if (flag == "--status-fd") {
            if (!parseNumber(value, &number) || number < 3 || number > 1024)
                usage("invalid --status-fd '" + value + "'");
            options.statusFd = static_cast<int>(number);
        } else {
            usage("unknown option " + std::string(flag));
        }
    }
    if (options.out.empty() || !haveMax || !haveBackups)
        usage("--out, --max-size and --backups are required");
    return options;
}

int run(int argc, char **argv)
{
    const Options options = parseOptions(argc, argv);

    struct sigaction ignore = {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    // SIGXFSZ: a file size limit (ulimit -f) is one more write error, not a reason to die.
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGXFSZ})
        ::sigaction(sig, &ignore, nullptr);

    const bool withErr = !options.err.empty();
    if (withErr && ::fcntl(kErrFd, F_GETFD) < 0)
        fail("--err given but fd 3 is not open for", options.err, errno);

    // Locks are always taken in the order out, err, so two loggers cannot deadlock. When --err
    // names the same file as --out, both inputs share one LogFile (one lock, one rotation).
    StatusChannel status;
    if (options.statusFd >= 0)
        status.open(options.statusFd);

    LogFile out(options.out, "out", options.maxSize, options.backups, options.compress, &status);
    out.open();
    LogFile err(options.err, "err", options.maxSize, options.backups, options.compress, &status);
    LogFile *errTarget = &out;
    OrderIndex index;
    if (withErr && options.err != options.out) {
        err.open();
        errTarget = &err;
        // One file for both streams keeps their order by itself.
        if (!options.index.empty()) {
            index.open(options.index);
            out.recordOrderIn(&index, 'o');
            err.recordOrderIn(&index, 'e');
        }
    }

    struct Input
    {
        int fd;
        LogFile *file;
        const std::string *name;
    };
    std::vector<Input> inputs{{STDIN_FILENO, &out, &options.out}};
    if (withErr)
        inputs.push_back({kErrFd, errTarget, &options.err});

    std::vector<char> buffer(kReadBuffer);
    std::vector<pollfd> fds;
    while (!inputs.empty()) {
        fds.clear();
        for (const Input &input : inputs)
            fds.push_back({input.fd, POLLIN, 0});
        long long timeoutMs = out.wantsTimer() || err.wantsTimer() ? kRetryMs : -1;
        if (const long long due = index.dueInMs(monotonicMs()); due >= 0)
            timeoutMs = timeoutMs < 0 ? due : std::min(timeoutMs, due);
        if (::poll(fds.data(), fds.size(), static_cast<int>(timeoutMs)) < 0) {
            if (errno == EINTR)
                continue;
            std::fprintf(stderr, "lifeline-logger: poll: %s\n", std::strerror(errno));
            return 1;
        }
        for (size_t i = fds.size(); i-- > 0;) {
            if (fds[i].revents == 0)
                continue;
            // POLLHUP still may have data buffered: read until read() says EOF.
            const ssize_t got = ::read(inputs[i].fd, buffer.data(), buffer.size());
            if (got < 0) {
                if (errno == EINTR || errno == EAGAIN)
                    continue;
                fail("cannot read input for", *inputs[i].name, errno);
            }
            if (got == 0) {
                inputs.erase(inputs.begin() + static_cast<std::ptrdiff_t>(i));
                continue;
            }
            inputs[i].file->write(buffer.data(), static_cast<size_t>(got));
        }
        const long long now = monotonicMs();
        if (index.dueInMs(now) == 0)
            index.flush();
        out.report(now);
        err.report(now);
        out.reap();
        err.reap();
    }
    index.flush();
    return 0;
}

} // namespace
} // namespace lifeline::logger

int main(int argc, char **argv)
{
    return lifeline::logger::run(argc, argv);
}
