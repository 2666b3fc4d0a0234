// png_ink FILE.png: prints "WIDTH HEIGHT INK COLOURS" for a screenshot: its size, the share of pixels that
// are not the page background (the top-left pixel's colour), and how many distinct colours its pixels have
// (capped at 1000). The browser tests (tests/tools/html_in_browser.sh) check that a page rendered something
// and in colour. Exit 1 when the file is not a PNG libpng can read.
#include <png.h>

#include <cstdio>
#include <cstdlib>
#include <set>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: png_ink FILE.png\n");
    return 2;
  }
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (png_image_begin_read_from_file(&image, argv[1]) == 0) {
    std::fprintf(stderr, "png_ink: %s: %s\n", argv[1], image.message);
    return 1;
  }
  image.format = PNG_FORMAT_RGB;
  std::vector<png_byte> pixels(PNG_IMAGE_SIZE(image));
  if (png_image_finish_read(&image, nullptr, pixels.data(), 0, nullptr) == 0) {
    std::fprintf(stderr, "png_ink: %s: %s\n", argv[1], image.message);
    return 1;
  }
  const std::size_t count = std::size_t{image.width} * image.height;
  const auto colour = [&](std::size_t i) {
    return (unsigned{pixels[3 * i]} << 16) | (unsigned{pixels[3 * i + 1]} << 8) | pixels[3 * i + 2];
  };
  std::size_t ink = 0;
  std::set<unsigned> colours;
  for (std::size_t i = 0; i < count; ++i) {
    if (colour(i) != colour(0)) ++ink;
    if (colours.size() < 1000) colours.insert(colour(i));
  }
  std::printf("%u %u %.4f %zu\n", image.width, image.height, count ? double(ink) / double(count) : 0.0,
              colours.size());
  return 0;
}
