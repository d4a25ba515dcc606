// A text file compiled into the binary (cmake/EmbedFiles.cmake): the service's migrations and
// its OpenAPI document stay files in the repository and need no install path at run time.
#ifndef PFOPT_SERVICES_COMMON_EMBEDDED_FILE_H_
#define PFOPT_SERVICES_COMMON_EMBEDDED_FILE_H_

#include <span>
#include <string_view>

namespace pfopt {

struct EmbeddedFile {
  std::string_view path;     // relative to the folder given to the generator
  std::string_view content;  // the file's bytes
};

}  // namespace pfopt

#endif  // PFOPT_SERVICES_COMMON_EMBEDDED_FILE_H_
