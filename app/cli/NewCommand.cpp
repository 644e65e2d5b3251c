// doppel new --workspace DIR --src VIDEO --dst VIDEO
#include <iostream>

#include "cli/CommandRegistry.h"
#include "common/Workspace.h"

namespace doppel::cli {
namespace {

int runNew(const CliArgs& args) {
    std::string dir = args.required("workspace");
    std::string src = args.required("src");
    std::string dst = args.required("dst");
    args.rejectUnused();
    Workspace ws = Workspace::create(dir, src, dst);
    std::cout << "new workspace " << ws.root().string() << "\n"
              << "  src: " << ws.inputPath(Side::Src).string() << "\n"
              << "  dst: " << ws.inputPath(Side::Dst).string() << "\n"
              << "next: doppel extract --workspace " << dir << " --side src\n";
    return 0;
}

const bool registered = registerCommand({
    "new",
    "create a workspace from a source and a destination video (or image / image folder)",
    "usage: doppel new --workspace DIR --src VIDEO --dst VIDEO\n\n"
    "Creates DIR with project.json and copies the inputs in (data_src/, data_dst/).\n"
    "The source is the face to put in; the destination is the scene.\n",
    {},
    runNew,
});

}  // namespace
}  // namespace doppel::cli
