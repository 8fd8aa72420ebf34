// lifeline-logger: the per-service log writer (design.md, "Pitfalls": lossless rotation).
//
//   lifeline-logger --out FILE [--err FILE] --max-size BYTES --backups N
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
// TERM, INT, HUP and PIPE are ignored: the logger drains its inputs until EOF, so the signal sent
// to the service's process group does not lose the service's last words. Exit 0 when every input
// reached EOF, 1 on an I/O error (with the file name), 64 on a usage error.
//
// No Qt on purpose: it is small, starts fast and outlives Lifeline like the service does.

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
#include <unistd.h>

namespace lifeline::logger {
namespace {

constexpr size_t kReadBuffer = 64 * 1024;
constexpr int kErrFd = 3;

[[noreturn]] void fail(const std::string &what, const std::string &file, int error)
{
    std::fprintf(stderr, "lifeline-logger: %s %s: %s\n", what.c_str(), file.c_str(), std::strerror(error));
    std::exit(1);
}

[[noreturn]] void usage(const std::string &message)
{
    std::fprintf(stderr,
                 "lifeline-logger: %s\n"
                 "usage: lifeline-logger --out FILE [--err FILE] --max-size BYTES --backups N\n"
                 "  reads fd 0 into --out and fd 3 into --err until EOF, rotating at max-size\n",
                 message.c_str());
    std::exit(64); // EX_USAGE
}

bool parseNumber(const std::string &text, unsigned long long *value)
{
    const char *end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, *value);
    return ec == std::errc() && ptr == end && !text.empty();
}

/// One log file with its rotation state. Owns the "FILE.lock" flock for its whole life.
class LogFile
{
public:
    LogFile(std::string path, unsigned long long maxSize, unsigned backups)
        : m_path(std::move(path))
        , m_maxSize(maxSize)
        , m_backups(backups)
    {}

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
        reopen();
    }

    /// Appends data, rotating first whenever it would take the file past max-size.
    void write(const char *data, size_t length)
    {
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
                writeRaw(data, count);
                rotate();
                data += count;
                length -= count;
                continue;
            } else if (m_size == 0) {
                // A line longer than max-size: written whole, into a file of its own.
                count = throughFirstNewline(data, length);
            } else {
                rotate();
                continue;
            }
            writeRaw(data, count);
            data += count;
            length -= count;
        }
    }

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

    void writeRaw(const char *data, size_t length)
    {
        if (length == 0)
            return;
        const char last = data[length - 1];
        while (length > 0) {
            const ssize_t written = ::write(m_fd, data, length);
            if (written < 0) {
                if (errno == EINTR)
                    continue;
                fail("cannot write", m_path, errno);
            }
            data += written;
            length -= static_cast<size_t>(written);
            m_size += static_cast<unsigned long long>(written);
        }
        m_midLine = last != '\n';
    }

    void reopen()
    {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = ::open(m_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (m_fd < 0)
            fail("cannot open", m_path, errno);
        struct stat info = {};
        if (::fstat(m_fd, &info) != 0)
            fail("cannot stat", m_path, errno);
        m_size = static_cast<unsigned long long>(info.st_size);
        // A file left by an earlier run may end inside a line; new output starts a new line anyway.
        m_midLine = false;
    }

    void rotate()
    {
        if (m_backups == 0) {
            if (::ftruncate(m_fd, 0) != 0)
                fail("cannot truncate", m_path, errno);
            m_size = 0;
            m_midLine = false;
            return;
        }
        for (unsigned i = m_backups; i > 1; --i) {
            const std::string from = m_path + '.' + std::to_string(i - 1);
            const std::string to = m_path + '.' + std::to_string(i);
            if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT)
                fail("cannot rotate", from, errno);
        }
        const std::string first = m_path + ".1";
        if (::rename(m_path.c_str(), first.c_str()) != 0)
            fail("cannot rotate", m_path, errno);
        reopen();
    }

    std::string m_path;
    unsigned long long m_maxSize;
    unsigned m_backups;
    int m_fd = -1;
    int m_lockFd = -1;
    unsigned long long m_size = 0;
    bool m_midLine = false; ///< the last byte written was not a newline
};

struct Options
{
    std::string out;
    std::string err;
    unsigned long long maxSize = 0;
    unsigned backups = 0;
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
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGPIPE})
        ::sigaction(sig, &ignore, nullptr);

    const bool withErr = !options.err.empty();
    if (withErr && ::fcntl(kErrFd, F_GETFD) < 0)
        fail("--err given but fd 3 is not open for", options.err, errno);

    // Locks are always taken in the order out, err, so two loggers cannot deadlock. When --err
    // names the same file as --out, both inputs share one LogFile (one lock, one rotation).
    LogFile out(options.out, options.maxSize, options.backups);
    out.open();
    LogFile err(options.err, options.maxSize, options.backups);
    LogFile *errTarget = &out;
    if (withErr && options.err != options.out) {
        err.open();
        errTarget = &err;
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
        if (::poll(fds.data(), fds.size(), -1) < 0) {
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
    }
    return 0;
}

} // namespace
} // namespace lifeline::logger

int main(int argc, char **argv)
{
    return lifeline::logger::run(argc, argv);
}
