// The native program's commands for change streams in and out of real
// systems (cli/interop_commands.cc, cli/follow.cc); main.cc dispatches.
#ifndef UNBUNDLED_CLI_COMMANDS_H_
#define UNBUNDLED_CLI_COMMANDS_H_

#include <string>
#include <vector>

#include "core/types.h"

namespace unbundled {
namespace cli {

// unbundled import --from wal2json|debezium [--consumers SPEC.json]
//                  [--key FIELD[,FIELD...]] [--out FILE] FILE
int Import(const std::vector<std::string>& args);
// unbundled export --to debezium [--out FILE] SCENARIO
int Export(const std::vector<std::string>& args);
// unbundled follow --dsn DSN --slot NAME --consumers SPEC.json [--record FILE]
//                  [--create-slot] [--until-idle SECONDS] [--max-changes N] [--json]
int Follow(const std::vector<std::string>& args);

// Shared by the commands.
bool ReadWholeFile(const std::string& path, std::string* out);
// Writes `text` to a temporary file beside `path`, syncs it and renames it
// over `path`: a reader sees the old file or the whole new one, never a part.
bool WriteFileAtomically(const std::string& path, const std::string& text, std::string* error);
// Reads a consumer spec file: a JSON array of specs, or {"consumers": [...]}
// (a scenario's header). Each spec is checked by adding it to a simulator.
bool ReadConsumers(const std::string& path, Json* consumers, std::string* error);

}  // namespace cli
}  // namespace unbundled

#endif  // UNBUNDLED_CLI_COMMANDS_H_
