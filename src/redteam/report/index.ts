export { renderHtmlReport, writeHtmlReport } from './html-report.js';
