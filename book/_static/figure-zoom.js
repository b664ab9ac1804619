// Click a figure to open it at full size (phones show figures small): every image of the
// content that is not already a link becomes a link to itself. The image files are part of
// the site, so this works offline.
document.addEventListener("DOMContentLoaded", () => {
  const images = document.querySelectorAll(
    ".bd-content figure img, .bd-content .cell_output img",
  );
  for (const img of images) {
    if (img.closest("a")) continue;
    const link = document.createElement("a");
    link.href = img.getAttribute("src");
    link.className = "sopev-zoom";
    link.title = "Open the figure at full size";
    img.parentNode.insertBefore(link, img);
    link.appendChild(img);
  }
});
