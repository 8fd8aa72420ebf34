#include "options.h"

#include <algorithm>
#include <cmath>
#include <iterator>

using namespace Qt::StringLiterals;

namespace lifeline::demo {

std::optional<Duration> parseDuration(const QString &text)
{
    struct Unit
    {
        QLatin1String suffix;
        double ms;
    };
    // "ms" must be tried before "m" and "s".
    static const Unit units[] = {{"ms"_L1, 1.0}, {"s"_L1, 1000.0}, {"m"_L1, 60000.0}, {"h"_L1, 3600000.0}};
    QString number = text.trimmed();
    double factor = 1000.0;
    for (const Unit &unit : units) {
        if (number.endsWith(unit.suffix)) {
            number.chop(unit.suffix.size());
            factor = unit.ms;
            break;
        }
    }
    bool ok = false;
    const double value = number.toDouble(&ok);
    if (!ok || !std::isfinite(value) || value < 0 || value * factor > 1e12)
        return std::nullopt;
    return Duration(static_cast<qint64>(std::llround(value * factor)));
}

QString usageText()
{
    return u"usage: lifeline-demo-backend --port P [--name NAME] [--ready-after DUR] [--crash-after DUR]\n"
           u"                             [--exit-code N] [--hang-after DUR] [--unhealthy-after DUR]\n"
           u"                             [--leak MB_PER_S] [--flood LINES_PER_S] [--ignore-term]\n"
           u"                             [--spawn-grandchild] [--health-body-size BYTES]\n"
           u"DUR: 500ms, 3s, 1m, 1h\n"_s;
}

std::optional<DemoOptions> parseOptions(const QStringList &args, QString *error)
{
    DemoOptions options;
    bool havePort = false;
    for (qsizetype i = 0; i < args.size(); ++i) {
        const QString &flag = args.at(i);
        if (flag == "--ignore-term"_L1) {
            options.ignoreTerm = true;
            continue;
        }
        if (flag == "--spawn-grandchild"_L1) {
            options.spawnGrandchild = true;
            continue;
        }
        static const QLatin1String withValue[] = {"--port"_L1,
                                                  "--name"_L1,
                                                  "--ready-after"_L1,
                                                  "--crash-after"_L1,
                                                  "--exit-code"_L1,
                                                  "--hang-after"_L1,
                                                  "--unhealthy-after"_L1,
                                                  "--leak"_L1,
                                                  "--flood"_L1,
                                                  "--health-body-size"_L1};
        if (std::find(std::begin(withValue), std::end(withValue), flag) == std::end(withValue)) {
            *error = u"unknown option: "_s + flag;
            return std::nullopt;
        }
        if (i + 1 >= args.size()) {
            *error = u"missing value for "_s + flag;
            return std::nullopt;
        }
        const QString value = args.at(++i);
        const QString bad = u"invalid value for "_s + flag + u": '"_s + value + u"'"_s;
        bool ok = true;
        auto duration = [&]() {
            const auto parsed = parseDuration(value);
            ok = parsed.has_value();
            return parsed;
        };
        if (flag == "--port"_L1) {
            const uint port = value.toUInt(&ok);
            ok = ok && port > 0 && port <= 65535;
            options.port = static_cast<quint16>(port);
            havePort = true;
        } else if (flag == "--name"_L1) {
            ok = !value.isEmpty();
            options.name = value;
        } else if (flag == "--ready-after"_L1) {
            options.readyAfter = duration();
        } else if (flag == "--crash-after"_L1) {
            options.crashAfter = duration();
        } else if (flag == "--exit-code"_L1) {
            options.exitCode = value.toInt(&ok);
            ok = ok && options.exitCode >= 0 && options.exitCode <= 255;
        } else if (flag == "--hang-after"_L1) {
            options.hangAfter = duration();
        } else if (flag == "--unhealthy-after"_L1) {
            options.unhealthyAfter = duration();
        } else if (flag == "--leak"_L1) {
            options.leakMbPerSecond = value.toDouble(&ok);
            ok = ok && std::isfinite(options.leakMbPerSecond) && options.leakMbPerSecond >= 0 &&
                 options.leakMbPerSecond <= 10000;
        } else if (flag == "--health-body-size"_L1) {
            options.healthBodySize = value.toLongLong(&ok);
            ok = ok && options.healthBodySize >= 0 && options.healthBodySize <= 64LL * 1024 * 1024;
        } else if (flag == "--flood"_L1) {
            options.floodLinesPerSecond = value.toInt(&ok);
            ok = ok && options.floodLinesPerSecond >= 0 && options.floodLinesPerSecond <= 10'000'000;
        }
        if (!ok) {
            *error = bad;
            return std::nullopt;
        }
    }
    if (!havePort) {
        *error = u"--port is required"_s;
        return std::nullopt;
    }
    return options;
}

} // namespace lifeline::demo
