#include "servicespec.h"

#include <QCryptographicHash>
#include <QSet>

#include <algorithm>
#include <functional>
#include <queue>
#include <vector>

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

QString MetricsSpec::address() const
{
    return (host.contains(u':') ? u'[' + host + u']' : host) + u':' + QString::number(port);
}

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

bool Config::selectProfile(const QString &name)
{
    if (name.isEmpty() || name == u"default"_s) {
        if (profile.isEmpty())
            return true; // already the base (and a Config built in code has no baseServices)
        profile.clear();
        services = baseServices;
        return true;
    }
    const auto it = profileServices.constFind(name);
    if (it == profileServices.cend())
        return false;
    profile = name;
    services = *it;
    return true;
}

QString Config::unknownProfileText(const QString &name) const
{
    const QStringList names = profileNames();
    return u"unknown profile \"%1\" (%2)"_s.arg(name, names.isEmpty()
                                                          ? u"the configuration defines no profiles"_s
                                                          : u"profiles: "_s + names.join(u", "_s));
}

QStringList Config::startOrder() const
{
    // Always the first service (in file order) whose dependencies are all
    // placed: a topological order that keeps file order wherever the
    // dependencies allow it. Kahn's algorithm with the ready services in a
    // min-heap of file positions: n log n, so 50 000 services take no time.
    QHash<QString, qsizetype> index;
    for (qsizetype i = 0; i < services.size(); ++i) {
        if (!index.contains(services[i].name)) // the first of a duplicated name, as service() finds
            index.insert(services[i].name, i);
    }
    QList<int> waitingFor(services.size(), 0);
    QList<QList<qsizetype>> dependents(services.size());
    for (qsizetype i = 0; i < services.size(); ++i) {
        QSet<qsizetype> deps;
        for (const QString &dep : services[i].dependsOn) {
            // Unknown names cannot be waited for; the loader rejects them, so
            // this is only a safety net.
            const auto it = index.constFind(dep);
            if (it != index.cend() && !deps.contains(*it)) {
                deps.insert(*it);
                dependents[*it].append(i);
            }
        }
        waitingFor[i] = int(deps.size());
    }
    std::priority_queue<qsizetype, std::vector<qsizetype>, std::greater<>> ready;
    for (qsizetype i = 0; i < services.size(); ++i) {
        if (waitingFor[i] == 0)
            ready.push(i);
    }
    QStringList order;
    QList<bool> placed(services.size(), false);
    while (!ready.empty()) {
        const qsizetype i = ready.top();
        ready.pop();
        placed[i] = true;
        order.append(services[i].name);
        for (qsizetype d : std::as_const(dependents[i])) {
            if (--waitingFor[d] == 0)
                ready.push(d);
        }
    }
    // A cycle (the loader rejects those too): keep file order for the rest.
    for (qsizetype i = 0; i < services.size(); ++i) {
        if (!placed[i])
            order.append(services[i].name);
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
