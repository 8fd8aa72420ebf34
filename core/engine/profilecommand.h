// `lifelinectl profile [NAME]` on the control socket:
//   {"cmd":"profile"}                 -> {"ok":true,"profile":NAME|null,"profiles":[...]}
//   {"cmd":"profile","name":NAME}     -> the same, after switching ("default" = none)
//                                     -> {"ok":false,"error":"unknown profile \"x\" (profiles: dev, prod)"}
// "pending":true when the switch waits for a running recovery.
#pragma once

#include <QJsonObject>

namespace lifeline {

class Engine;

QJsonObject profileCommand(Engine &engine, const QJsonObject &request);

} // namespace lifeline
