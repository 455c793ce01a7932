import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';

const BOOLEAN_STRINGS = ['true', 'false'] as const;

export class ImportQueryDto {
  @ApiPropertyOptional({ enum: BOOLEAN_STRINGS, description: 'any invalid row rejects the whole file (422)' })
  @IsOptional()
  @IsIn(BOOLEAN_STRINGS)
  strict?: 'true' | 'false';

  @ApiPropertyOptional({ enum: BOOLEAN_STRINGS, description: 'import a file even if it was imported before' })
  @IsOptional()
  @IsIn(BOOLEAN_STRINGS)
  allowDuplicate?: 'true' | 'false';
}
