// Where the control socket of a configuration lives, and which configuration
// lifelinectl talks about when it is not told.
//
// One Lifeline per configuration file: the socket name is derived from the
// canonical absolute path of the file, so `lifeline --headless --config X`
// and `lifelinectl --config X` meet without being told a socket path, and
// two configurations never share one.
#pragma once

#include <QString>

namespace lifeline {

// The canonical absolute path of a configuration file (symlinks resolved);
// the absolute path when the file does not exist.
QString canonicalConfigPath(const QString &configPath);

// $XDG_RUNTIME_DIR/lifeline/<sha1-16hex>.sock when XDG_RUNTIME_DIR is set and
// writable, else /tmp/lifeline-<uid>/<sha1-16hex>.sock. The folder is created
// with mode 0700; a folder that already exists and belongs to another user (or
// is not a real folder) is refused: empty result and *error says why. The path
// always fits in sockaddr_un::sun_path (kept under 100 bytes).
QString socketPathForConfig(const QString &configPath, QString *error = nullptr);

// The configuration lifelinectl uses without --config/--socket:
// ./lifeline.toml if it exists, else $XDG_CONFIG_HOME/lifeline/lifeline.toml
// (~/.config/lifeline/lifeline.toml). The result may not exist.
QString defaultConfigPath();

} // namespace lifeline
