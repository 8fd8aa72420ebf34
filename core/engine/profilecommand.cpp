#include "engine/profilecommand.h"

#include "engine/engine.h"
#include "engine/livereload.h"

#include <QJsonArray>

using namespace Qt::StringLiterals;

namespace lifeline {

QJsonObject profileCommand(Engine &engine, const QJsonObject &request)
{
    QJsonObject reply;
    const QJsonValue name = request.value(u"name"_s);
    if (!name.isUndefined() && !name.isNull()) {
        QString error;
        if (!name.isString() || !engine.switchProfile(name.toString(), &error)) {
            reply.insert(u"ok"_s, false);
            reply.insert(u"error"_s, name.isString() ? error : u"bad request: \"name\" must be a string"_s);
            return reply;
        }
    }
    // The profile the file is read with: the running one, or the one a
    // switch waiting for a recovery is about to apply.
    const Config &config = engine.reload() ? engine.reload()->config() : engine.config();
    reply.insert(u"ok"_s, true);
    reply.insert(u"profile"_s,
                 config.profile.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(config.profile));
    reply.insert(u"profiles"_s, QJsonArray::fromStringList(config.profileNames()));
    reply.insert(u"pending"_s, engine.reload() && engine.reload()->isPending());
    return reply;
}

} // namespace lifeline
