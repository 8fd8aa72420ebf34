#include "servicespec.h"

#include <QCryptographicHash>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace lifeline {

namespace {

// Length-prefixed, so that ["a b"] and ["a", "b"] (or a value that contains
// a separator) can never hash the same.
void addField(QCryptographicHash &hash, const QString &text)
{
    const QByteArray utf8 = text.toUtf8();
    const QByteArray length = QByteArray::number(utf8.size());
    hash.addData(length);
    hash.addData(QByteArrayView(":"));
    hash.addData(utf8);
    hash.addData(QByteArrayView(";"));
}

} // namespace

QByteArray ServiceSpec::commandHash() const
{
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(QByteArrayView("lifeline-command-v1;"));
    addField(hash, u"command"_s);
    addField(hash, QString::number(command.size()));
    for (const QString &arg : command)
        addField(hash, arg);
    addField(hash, u"shell"_s);
    addField(hash, shell ? u"1"_s : u"0"_s);
    addField(hash, u"cwd"_s);
    addField(hash, cwd);
    QStringList keys = env.keys();
    std::sort(keys.begin(), keys.end());
    addField(hash, u"env"_s);
    addField(hash, QString::number(keys.size()));
    for (const QString &key : keys) {
        addField(hash, key);
        addField(hash, env.value(key));
    }
    return hash.result().toHex();
}

const ServiceSpec *Config::service(const QString &name) const
{
    for (const ServiceSpec &spec : services) {
        if (spec.name == name)
            return &spec;
    }
    return nullptr;
}

QStringList Config::startOrder() const
{
    // Repeatedly take the first service (in file order) whose dependencies are
    // all placed: a topological order that keeps file order wherever the
    // dependencies allow it. Quadratic, which is nothing for a config file.
    QStringList order;
    QList<bool> placed(services.size(), false);
    qsizetype remaining = services.size();
    while (remaining > 0) {
        bool progress = false;
        for (qsizetype i = 0; i < services.size(); ++i) {
            if (placed[i])
                continue;
            const bool ready = std::all_of(services[i].dependsOn.cbegin(), services[i].dependsOn.cend(),
                                           [&](const QString &dep) {
                                               // Unknown names cannot be waited for; the loader
                                               // rejects them, so this is only a safety net.
                                               return order.contains(dep) || !service(dep);
                                           });
            if (ready) {
                placed[i] = true;
                order.append(services[i].name);
                --remaining;
                progress = true;
                break;
            }
        }
        if (!progress) {
            // A cycle (the loader rejects those too): keep file order for the rest.
            for (qsizetype i = 0; i < services.size(); ++i) {
                if (!placed[i])
                    order.append(services[i].name);
            }
            break;
        }
    }
    return order;
}

QString restartPolicyName(RestartPolicy p)
{
    switch (p) {
    case RestartPolicy::Always:
        return u"always"_s;
    case RestartPolicy::OnFailure:
        return u"on-failure"_s;
    case RestartPolicy::Never:
        return u"never"_s;
    }
    return u"on-failure"_s;
}

QString onExitName(OnExit e)
{
    switch (e) {
    case OnExit::Ask:
        return u"ask"_s;
    case OnExit::Stop:
        return u"stop"_s;
    case OnExit::Keep:
        return u"keep"_s;
    }
    return u"ask"_s;
}

} // namespace lifeline
